/**
 * Harness for the containerd peer (test/peers/containerd): Debian's containerd 1.6, or
 * the 2.x that fetch-v2.sh unpacks from Debian sid, with CRI in the node key model and
 * `imgseal decoder` as its stream processor (through a two-line wrapper script), CRI
 * pulls with cri/cri-pull.sh using the project's own @grpc/grpc-js (no network
 * install), and the committed snapshot of an image.
 * Starting fails under CI=true; elsewhere the caller skips with the reason.
 */
import { execFile } from 'node:child_process';
import { chmodSync, mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { DECODER_BUNDLE } from './cli.js';
import { peersDir, repoRoot } from './peers.js';

export interface ContainerdPeer {
  state: string;
  keysDir: string;
  nativeSnapshots: string;
  /** What the containerd binary reports, e.g. `1.6.20~ds1` or `2.1.9+unknown`. */
  version: string;
  raw: Record<string, string>;
}

export interface ContainerdOptions {
  /** A folder with another containerd and ctr (fetchContainerd2()); default Debian's 1.6 on PATH. */
  binDir?: string;
  /** containerd 2.x only: CRI's use_local_image_pull (default true, as the README says). */
  localPull?: boolean;
  /** Which stream processor takes tar+zstd+encrypted layers (start.sh CONTAINERD_ZSTD_ID; default `tar`, as the README says). */
  zstdId?: 'tar' | 'tar.zstd';
}

/** Debian sid's containerd 2.x, unpacked by fetch-v2.sh (cached); the folder with its binaries. */
export async function fetchContainerd2(): Promise<string> {
  const r = await sh(join(peersDir(), 'containerd', 'fetch-v2.sh'), [], {}, 300_000);
  if (r.code !== 0) throw new Error(`containerd fetch-v2.sh failed: ${r.stderr.split('\n').slice(-10).join('\n')}`);
  return r.stdout.trim();
}

function sh(script: string, args: string[], env: Record<string, string>, timeoutMs: number): Promise<{ code: number; stdout: string; stderr: string }> {
  return new Promise((resolve) => {
    execFile(script, args, { env: { ...process.env, ...env }, timeout: timeoutMs, maxBuffer: 8 << 20 }, (err, stdout, stderr) => {
      const code = err ? (typeof (err as { code?: unknown }).code === 'number' ? ((err as { code: number }).code) : 1) : 0;
      resolve({ code, stdout: String(stdout), stderr: String(stderr) });
    });
  });
}

/** The wrapper containerd runs: exactly what the README tells users to install. */
export function writeDecoderWrapper(dir: string): string {
  const path = join(dir, 'imgseal-decoder');
  writeFileSync(path, `#!/bin/sh\nunset NODE_EXTRA_CA_CERTS\nexec ${process.execPath} ${DECODER_BUNDLE} "$@"\n`);
  chmodSync(path, 0o755);
  return path;
}

export async function startContainerd(plainHttpRegistries: string[], opts: ContainerdOptions = {}): Promise<ContainerdPeer> {
  // Short path: containerd's socket must stay under 100 bytes.
  const state = mkdtempSync(join(tmpdir(), 'ctd-'));
  const wrapperDir = mkdtempSync(join(tmpdir(), 'ctd-bin-'));
  const decoder = writeDecoderWrapper(wrapperDir);
  const dir = join(peersDir(), 'containerd');
  const env: Record<string, string> = { CRI: '1', DECODER: decoder, CRI_PLAIN_HTTP_REGISTRIES: plainHttpRegistries.join(' ') };
  if (opts.binDir) env.CONTAINERD_BIN_DIR = opts.binDir;
  if (opts.localPull !== undefined) env.CONTAINERD_LOCAL_PULL = opts.localPull ? '1' : '0';
  if (opts.zstdId) env.CONTAINERD_ZSTD_ID = opts.zstdId;
  const r = await sh(join(dir, 'start.sh'), [state], env, 120_000);
  if (r.code !== 0) {
    await sh(join(dir, 'stop.sh'), [state, '--clean'], {}, 60_000);
    throw new Error(`containerd start.sh failed: ${r.stderr.split('\n').slice(-15).join('\n')}`);
  }
  const raw = JSON.parse(readFileSync(join(state, 'peer.json'), 'utf8')) as Record<string, string>;
  const need = (k: string): string => {
    const v = raw[k];
    if (!v) throw new Error(`containerd peer.json has no ${k}`);
    return v;
  };
  return { state, keysDir: need('DECODER_KEYS_DIR'), nativeSnapshots: need('CONTAINERD_NATIVE_SNAPSHOTS'), version: need('CONTAINERD_VERSION'), raw };
}

export async function stopContainerd(peer: ContainerdPeer): Promise<void> {
  await sh(join(peersDir(), 'containerd', 'stop.sh'), [peer.state, '--clean'], {}, 60_000);
}

export interface CriPullResult {
  ok: boolean;
  /** The gRPC error details on failure (containerd's message, with the decoder's stderr). */
  error: string;
}

/** Pulls through CRI's ImageService/PullImage, as a kubelet does. */
export async function criPull(peer: ContainerdPeer, ref: string): Promise<CriPullResult> {
  const r = await sh(join(peersDir(), 'containerd', 'cri', 'cri-pull.sh'), [peer.state, ref], { CRI_NODE_MODULES_DIR: repoRoot() }, 180_000);
  if (r.code === 0) return { ok: true, error: '' };
  let error = r.stdout.trim() || r.stderr.trim();
  try {
    const o = JSON.parse(r.stdout.trim().split('\n').pop() ?? '') as { error?: { details?: string } };
    if (o.error?.details) error = o.error.details;
  } catch {
    // not JSON: keep the raw text
  }
  return { ok: false, error };
}

/** The folder of the image's committed rootfs snapshot, or undefined when it was not unpacked. */
export async function snapshotPath(peer: ContainerdPeer, ref: string): Promise<string | undefined> {
  const r = await sh(join(peersDir(), 'containerd', 'snapshot-path.sh'), [peer.state, ref], { CONTAINERD_NAMESPACE: 'k8s.io' }, 60_000);
  return r.code === 0 ? r.stdout.trim() : undefined;
}
