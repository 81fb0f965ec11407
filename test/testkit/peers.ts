/**
 * Test harness for the real peers in test/peers/: starts them through their own
 * scripts, reads STATE/peer.json, and stops them in an after hook (even when a test
 * failed). When a peer cannot start, tests are skipped with the reason — except under
 * CI=true, where that is a failure: CI must never pass by skipping the interop proof.
 */
import { execFile } from 'node:child_process';
import { existsSync, mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { after, before, type TestContext } from 'node:test';

export type RegistryMode = 'plain' | 'tls-basic' | 'token';

export interface RegistryPeer {
  mode: RegistryMode;
  state: string;
  /** `127.0.0.1:PORT` */
  host: string;
  url: string;
  tls: boolean;
  ca?: string;
  certDir?: string;
  user?: string;
  password?: string;
  tokenUrl?: string;
  /** Everything peer.json holds. */
  raw: Record<string, string>;
}

export function isCI(): boolean {
  return /^(true|1|yes)$/i.test(process.env.CI ?? '');
}

/** The repository root (the folder with imgseal's package.json), from src or dist. */
export function repoRoot(): string {
  let dir = dirname(fileURLToPath(import.meta.url));
  for (let i = 0; i < 8; i++) {
    const pkg = join(dir, 'package.json');
    if (existsSync(pkg) && (JSON.parse(readFileSync(pkg, 'utf8')) as { name?: string }).name === 'imgseal') return dir;
    dir = dirname(dir);
  }
  throw new Error('peers harness: cannot find the imgseal repository root');
}

export function peersDir(): string {
  return process.env.PEERS_DIR ?? join(repoRoot(), 'test', 'peers');
}

/**
 * The environment for peer scripts: no REGISTRY_* (distribution reads every one as
 * config; start.sh unsets them too, this keeps it so) except the ones given.
 */
function scriptEnv(extra: Record<string, string>): NodeJS.ProcessEnv {
  const env: NodeJS.ProcessEnv = {};
  for (const [k, v] of Object.entries(process.env)) {
    if (!k.startsWith('REGISTRY_') && k !== 'PEER_STATE' && k !== 'STATE_DIR' && k !== 'PORT') env[k] = v;
  }
  return { ...env, ...extra };
}

function run(script: string, args: string[], env: Record<string, string>, timeoutMs: number): Promise<void> {
  return new Promise((resolve, reject) => {
    execFile(script, args, { env: scriptEnv(env), timeout: timeoutMs, maxBuffer: 4 << 20 }, (err, _stdout, stderr) => {
      if (err) reject(new Error(`${script} failed: ${err.message}\n${String(stderr).split('\n').slice(-15).join('\n')}`));
      else resolve();
    });
  });
}

export async function startRegistryPeer(mode: RegistryMode, env: Record<string, string> = {}): Promise<RegistryPeer> {
  // Short state path: the scripts' convention (unix socket limits elsewhere).
  const state = mkdtempSync(join(tmpdir(), `reg-${mode}-`));
  const dir = join(peersDir(), 'registry');
  try {
    await run(join(dir, 'start.sh'), [state], { MODE: mode, ...env }, 120_000);
  } catch (err) {
    await run(join(dir, 'stop.sh'), [state, '--clean'], {}, 60_000).catch(() => rmSync(state, { recursive: true, force: true }));
    throw err;
  }
  const raw = JSON.parse(readFileSync(join(state, 'peer.json'), 'utf8')) as Record<string, string>;
  const get = (k: string): string => {
    const v = raw[k];
    if (v === undefined) throw new Error(`peer.json has no ${k}`);
    return v;
  };
  return {
    mode,
    state,
    host: get('REGISTRY_HOST'),
    url: get('REGISTRY_URL'),
    tls: raw.REGISTRY_TLS === '1',
    ...(raw.REGISTRY_CA ? { ca: raw.REGISTRY_CA } : {}),
    ...(raw.REGISTRY_CERT_DIR ? { certDir: raw.REGISTRY_CERT_DIR } : {}),
    ...(raw.REGISTRY_USER ? { user: raw.REGISTRY_USER } : {}),
    ...(raw.REGISTRY_PASSWORD ? { password: raw.REGISTRY_PASSWORD } : {}),
    ...(raw.TOKEN_URL ? { tokenUrl: raw.TOKEN_URL } : {}),
    raw,
  };
}

export async function stopRegistryPeer(peer: { state: string }): Promise<void> {
  await run(join(peersDir(), 'registry', 'stop.sh'), [peer.state, '--clean'], {}, 60_000);
}

export interface PeerHandle<P> {
  /** The running peer; when it could not start (outside CI) skips the test and returns undefined. */
  get(t: TestContext): P | undefined;
}

/**
 * Registers before/after hooks in the current suite (or file) that start a registry
 * peer and always stop it. Under CI a failed start fails the suite.
 */
export function useRegistryPeer(mode: RegistryMode, env: Record<string, string> = {}): PeerHandle<RegistryPeer> {
  let peer: RegistryPeer | undefined;
  let reason: string | undefined;
  before(async () => {
    try {
      peer = await startRegistryPeer(mode, env);
    } catch (err) {
      reason = `registry peer (${mode}) did not start: ${(err as Error).message}`;
      if (isCI()) throw new Error(`${reason} (CI=true: a missing peer is a failure, not a skip)`);
    }
  }, { timeout: 180_000 });
  after(async () => {
    if (peer) await stopRegistryPeer(peer);
  }, { timeout: 90_000 });
  return {
    get(t: TestContext): RegistryPeer | undefined {
      if (peer) return peer;
      t.skip(reason ?? 'registry peer not started');
      return undefined;
    },
  };
}


/**
 * `peer` with `fields` present in its peer.json. A missing field fails the test under
 * CI (an interop test never returns early there) and skips it elsewhere.
 */
export function peerWith<K extends keyof RegistryPeer>(t: TestContext, peer: RegistryPeer | undefined, ...fields: K[]): (RegistryPeer & Required<Pick<RegistryPeer, K>>) | undefined {
  if (!peer) return undefined;
  const missing = fields.filter((f) => peer[f] === undefined || peer[f] === '');
  if (missing.length === 0) return peer as RegistryPeer & Required<Pick<RegistryPeer, K>>;
  const why = `the ${peer.mode} registry peer has no ${missing.join(', ')} in its peer.json`;
  if (isCI()) throw new Error(`${why} (CI=true: a missing field is a failure, not a skip)`);
  t.skip(why);
  return undefined;
}
