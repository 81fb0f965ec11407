/**
 * Test harness for the podman/buildah peer (test/peers/podman/): `setup.sh STATE`
 * gives Debian's podman and buildah a private configuration and storage (vfs) under
 * STATE; every podman/buildah process then runs with STATE/peer.json as its
 * environment (HOME, CONTAINERS_CONF, CONTAINERS_STORAGE_CONF, REGISTRY_AUTH_FILE,
 * TMPDIR, ...). No daemon runs and no container is started. The after hook runs
 * `stop.sh STATE --clean`, even when a test failed. As with the registry peer, a
 * peer that cannot be set up skips the tests, except under CI=true where it fails.
 */
import { execFile } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { mkdirSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, type TestContext } from 'node:test';
import { isCI, peersDir, type PeerHandle } from './peers.js';

export interface PodmanPeer {
  state: string;
  /** The environment for podman/buildah: the caller's, with peer.json on top (HOME replaced on purpose). */
  env: NodeJS.ProcessEnv;
  /** Everything peer.json holds. */
  raw: Record<string, string>;
  buildahVersion: string;
  podmanVersion: string;
}

export interface ToolRun {
  code: number;
  stdout: string;
  stderr: string;
}

function runScript(script: string, args: string[], timeoutMs: number): Promise<void> {
  // REGISTRY_* from the caller must not leak into the peer's own checks.
  const env: NodeJS.ProcessEnv = {};
  for (const [k, v] of Object.entries(process.env)) if (!k.startsWith('REGISTRY_') && k !== 'PEER_STATE' && k !== 'STATE_DIR') env[k] = v;
  return new Promise((resolve, reject) => {
    execFile(script, args, { env, timeout: timeoutMs, maxBuffer: 4 << 20 }, (err, _stdout, stderr) => {
      if (err) reject(new Error(`${script} failed: ${err.message}\n${String(stderr).split('\n').slice(-15).join('\n')}`));
      else resolve();
    });
  });
}

/**
 * Sets up a private podman/buildah configuration. The state path is short and
 * lowercase (buildah names images pulled from `oci:PATH` after the path).
 */
export async function setupPodmanPeer(): Promise<PodmanPeer> {
  const state = join(tmpdir(), `pm-${randomBytes(4).toString('hex')}`);
  mkdirSync(state, { recursive: true });
  const dir = join(peersDir(), 'podman');
  try {
    await runScript(join(dir, 'setup.sh'), [state], 300_000);
  } catch (err) {
    await runScript(join(dir, 'stop.sh'), [state, '--clean'], 60_000).catch(() => rmSync(state, { recursive: true, force: true }));
    throw err;
  }
  const raw = JSON.parse(readFileSync(join(state, 'peer.json'), 'utf8')) as Record<string, string>;
  return {
    state,
    env: { ...process.env, ...raw },
    raw,
    buildahVersion: raw.PODMAN_PEER_BUILDAH_VERSION ?? '',
    podmanVersion: raw.PODMAN_PEER_PODMAN_VERSION ?? '',
  };
}

export async function stopPodmanPeer(peer: { state: string }): Promise<void> {
  await runScript(join(peersDir(), 'podman', 'stop.sh'), [peer.state, '--clean'], 60_000);
}

/** Runs buildah (or podman) with the peer's environment (plus `opts.env`, e.g. GNUPGHOME); never rejects on a non-zero exit. */
export function runPeerTool(peer: PodmanPeer, tool: 'buildah' | 'podman', args: string[], opts: { cwd?: string; timeoutMs?: number; env?: Record<string, string> } = {}): Promise<ToolRun> {
  return new Promise((resolve, reject) => {
    execFile(tool, args, { env: { ...peer.env, ...opts.env }, cwd: opts.cwd ?? peer.state, timeout: opts.timeoutMs ?? 120_000, maxBuffer: 16 << 20 }, (err, stdout, stderr) => {
      if (err && typeof (err as { code?: unknown }).code !== 'number') {
        reject(err);
        return;
      }
      resolve({ code: err ? ((err as { code?: number }).code ?? 1) : 0, stdout: String(stdout), stderr: String(stderr) });
    });
  });
}

/** buildah with the peer's environment; rejects with its stderr on a non-zero exit. */
export async function buildah(peer: PodmanPeer, args: string[], opts: { cwd?: string } = {}): Promise<string> {
  const r = await runPeerTool(peer, 'buildah', args, opts);
  if (r.code !== 0) throw new Error(`buildah ${args.join(' ')} exited ${r.code}: ${r.stderr}`);
  return r.stdout;
}

/**
 * Reads files of an image in the peer's storage: `buildah from --pull=never` +
 * `buildah mount` (vfs: a plain folder, no mount is made), then umount and rm.
 */
export async function readImageFiles(peer: PodmanPeer, image: string, paths: string[]): Promise<Record<string, string>> {
  const container = (await buildah(peer, ['from', '--pull=never', image])).trim().split('\n').pop()!.trim();
  try {
    const root = (await buildah(peer, ['mount', container])).trim();
    const out: Record<string, string> = {};
    for (const p of paths) out[p] = readFileSync(join(root, p), 'utf8');
    return out;
  } finally {
    await runPeerTool(peer, 'buildah', ['umount', container]);
    await runPeerTool(peer, 'buildah', ['rm', container]);
  }
}

/** Registers before/after hooks that set up the podman/buildah peer and always clean it up. */
export function usePodmanPeer(): PeerHandle<PodmanPeer> {
  let peer: PodmanPeer | undefined;
  let reason: string | undefined;
  before(async () => {
    try {
      peer = await setupPodmanPeer();
    } catch (err) {
      reason = `podman/buildah peer could not be set up: ${(err as Error).message}`;
      if (isCI()) throw new Error(`${reason} (CI=true: a missing peer is a failure, not a skip)`);
    }
  }, { timeout: 320_000 });
  after(async () => {
    if (peer) await stopPodmanPeer(peer);
  }, { timeout: 90_000 });
  return {
    get(t: TestContext): PodmanPeer | undefined {
      if (peer) return peer;
      t.skip(reason ?? 'podman/buildah peer not set up');
      return undefined;
    },
  };
}
