/**
 * The notary peer (notary-server + notary-signer 0.7.0 from Debian, TLS on 127.0.0.1,
 * in-memory storage) started by test/peers/notary/start.sh for one test file and always
 * stopped. Outside CI a peer that cannot start skips the tests; under CI=true it fails.
 * The token-auth variant (`auth: token`, start.sh's AUTH_MODE=token) points at the token
 * server of a registry peer started with TOKEN_EXTRA_SERVICES=<its service>.
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
  auth: 'none' | 'token';
  /** token mode: the service (token audience) the server asks tokens for. */
  service?: string;
}

export interface NotaryPeerOptions {
  /**
   * Extra environment for start.sh (AUTH_MODE=token, AUTH_REALM, …), awaited when the
   * peer starts. Root-level before hooks run concurrently, so a peer this depends on (a
   * registry's token server) is awaited here, not assumed started by an earlier hook.
   */
  env?: () => Record<string, string> | Promise<Record<string, string>>;
}

/** start.sh's token-mode environment for a token registry peer's issuer (see start.sh). */
export function notaryTokenAuthEnv(registry: { raw: Record<string, string> }, service: string): Record<string, string> {
  const get = (k: string): string => {
    const v = registry.raw[k];
    if (!v) throw new Error(`the registry peer's peer.json has no ${k} (start it in token mode)`);
    return v;
  };
  const env: Record<string, string> = { AUTH_MODE: 'token', AUTH_REALM: get('TOKEN_URL'), AUTH_SERVICE: service, AUTH_ISSUER: get('TOKEN_ISSUER'), AUTH_ROOTCERTBUNDLE: get('TOKEN_SIGNER_CERT') };
  if (registry.raw.REGISTRY_USER && registry.raw.REGISTRY_PASSWORD) Object.assign(env, { AUTH_USER: registry.raw.REGISTRY_USER, AUTH_PASSWORD: registry.raw.REGISTRY_PASSWORD });
  return env;
}

function run(script: string, args: string[], extra: Record<string, string> = {}): Promise<void> {
  const env: NodeJS.ProcessEnv = {};
  for (const [k, v] of Object.entries(process.env)) if (!k.startsWith('NOTARY_') && !k.startsWith('AUTH_')) env[k] = v;
  Object.assign(env, extra);
  return new Promise((resolve, reject) => {
    execFile(script, args, { env, timeout: 120_000, maxBuffer: 4 << 20 }, (err, _o, stderr) => (err ? reject(new Error(`${script}: ${err.message}\n${String(stderr).slice(-2000)}`)) : resolve()));
  });
}

export function useNotaryPeer(opts: NotaryPeerOptions = {}): PeerHandle<NotaryPeer> {
  let peer: NotaryPeer | undefined;
  let reason: string | undefined;
  before(async () => {
    const state = mkdtempSync(join(tmpdir(), 'notary-'));
    try {
      await run(join(peersDir(), 'notary', 'start.sh'), [state], (await opts.env?.()) ?? {});
      const raw = JSON.parse(readFileSync(join(state, 'peer.json'), 'utf8')) as Record<string, string>;
      for (const k of ['NOTARY_URL', 'NOTARY_HOST', 'NOTARY_CA', 'NOTARY_AUTH_MODE']) if (!raw[k]) throw new Error(`notary peer.json has no ${k}`);
      const auth = raw.NOTARY_AUTH_MODE === 'token' ? 'token' : 'none';
      peer = { state, url: raw.NOTARY_URL as string, host: raw.NOTARY_HOST as string, ca: raw.NOTARY_CA as string, auth, ...(raw.NOTARY_AUTH_SERVICE ? { service: raw.NOTARY_AUTH_SERVICE } : {}) };
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
