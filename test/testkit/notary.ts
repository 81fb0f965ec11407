/**
 * The notary peer (notary-server + notary-signer 0.7.0 from Debian, TLS on 127.0.0.1,
 * in-memory storage) started by test/peers/notary/start.sh for one test file and always
 * stopped. Outside CI a peer that cannot start skips the tests; under CI=true it fails.
 */
import { execFile } from 'node:child_process';
import { mkdtempSync, readFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, type TestContext } from 'node:test';
import { isCI, peersDir, type PeerHandle } from './peers.js';

export interface NotaryPeer {
  state: string;
  /** `https://127.0.0.1:PORT` */
  url: string;
  host: string;
  ca: string;
}

function run(script: string, args: string[]): Promise<void> {
  const env: NodeJS.ProcessEnv = {};
  for (const [k, v] of Object.entries(process.env)) if (!k.startsWith('NOTARY_')) env[k] = v;
  return new Promise((resolve, reject) => {
    execFile(script, args, { env, timeout: 120_000, maxBuffer: 4 << 20 }, (err, _o, stderr) => (err ? reject(new Error(`${script}: ${err.message}\n${String(stderr).slice(-2000)}`)) : resolve()));
  });
}

export function useNotaryPeer(): PeerHandle<NotaryPeer> {
  let peer: NotaryPeer | undefined;
  let reason: string | undefined;
  before(async () => {
    const state = mkdtempSync(join(tmpdir(), 'notary-'));
    try {
      await run(join(peersDir(), 'notary', 'start.sh'), [state]);
      const raw = JSON.parse(readFileSync(join(state, 'peer.json'), 'utf8')) as Record<string, string>;
      for (const k of ['NOTARY_URL', 'NOTARY_HOST', 'NOTARY_CA']) if (!raw[k]) throw new Error(`notary peer.json has no ${k}`);
      peer = { state, url: raw.NOTARY_URL as string, host: raw.NOTARY_HOST as string, ca: raw.NOTARY_CA as string };
    } catch (err) {
      reason = `notary peer did not start: ${(err as Error).message}`;
      await run(join(peersDir(), 'notary', 'stop.sh'), [state, '--clean']).catch(() => undefined);
      if (isCI()) throw new Error(`${reason} (CI=true: a missing peer is a failure, not a skip)`);
    }
  }, { timeout: 180_000 });
  after(async () => {
    if (peer) await run(join(peersDir(), 'notary', 'stop.sh'), [peer.state, '--clean']);
  }, { timeout: 90_000 });
  return {
    get(t: TestContext) {
      if (peer) return peer;
      t.skip(reason ?? 'notary peer not started');
      return undefined;
    },
  };
}
