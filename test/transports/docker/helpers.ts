/** Shared bits of the docker transport tests: contexts per peer variant, tiny images, skopeo. */
import assert from 'node:assert/strict';
import { execFile } from 'node:child_process';
import { createHash, randomBytes } from 'node:crypto';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Readable } from 'node:stream';
import { gzipSync } from 'node:zlib';
import type { SystemContext } from '../../../src/transports/context.js';
import type { Digest } from '../../../src/model/digest.js';
import type { Descriptor } from '../../../src/model/descriptor.js';
import { MediaType } from '../../../src/model/media-types.js';
import type { ManifestBlob } from '../../../src/transports/types.js';
import { dockerTransport, type DockerReference } from '../../../src/transports/docker/index.js';
import type { RegistryPeer } from '../../testkit/peers.js';
import { requireTool } from '../../testkit/tools.js';

export function sha256(b: Buffer): Digest {
  return `sha256:${createHash('sha256').update(b).digest('hex')}`;
}

const homes: string[] = [];
process.on('exit', () => {
  for (const h of homes) rmSync(h, { recursive: true, force: true });
});

/** A private HOME and an empty auth file, so nothing from the machine leaks into a test. */
export function isolatedEnv(): { env: Record<string, string>; authFile: string; home: string } {
  const home = mkdtempSync(join(tmpdir(), 'imgseal-home-'));
  homes.push(home);
  const authFile = join(home, 'auth.json');
  writeFileSync(authFile, '{}');
  return { env: { HOME: home, PATH: process.env.PATH ?? '/usr/bin:/bin', REGISTRY_AUTH_FILE: authFile }, authFile, home };
}

/** The SystemContext a variant needs, with fast retries. */
export function ctxFor(peer: RegistryPeer, extra: Partial<SystemContext> = {}): SystemContext {
  const { env } = isolatedEnv();
  const ctx: SystemContext = { env, retryDelayMs: 5 };
  if (!peer.tls) ctx.tlsVerify = false;
  if (peer.certDir) ctx.certDir = peer.certDir;
  if (peer.user && peer.password) ctx.credentials = { username: peer.user, password: peer.password };
  return { ...ctx, ...extra };
}

export function ref(s: string): DockerReference {
  return dockerTransport.parseReference(s) as DockerReference;
}

export interface TinyImage {
  layers: { desc: Descriptor; bytes: Buffer }[];
  config: { desc: Descriptor; bytes: Buffer };
  manifest: ManifestBlob;
}

/** An OCI image with random layers of the given sizes (the registry does not look inside). */
export function tinyImage(layerSizes: number[]): TinyImage {
  const layers = layerSizes.map((n) => {
    // Real gzip (of random bytes): skopeo recompresses a "tar+gzip" blob that is not gzip.
    const bytes = gzipSync(randomBytes(n), { level: 1 });
    const size = bytes.length;
    return { bytes, desc: { mediaType: MediaType.ociLayerTarGzip, digest: sha256(bytes), size } };
  });
  const cfgBytes = Buffer.from(
    JSON.stringify({ architecture: 'amd64', os: 'linux', rootfs: { type: 'layers', diff_ids: layers.map((l) => l.desc.digest) }, config: {} }),
  );
  const config = { bytes: cfgBytes, desc: { mediaType: MediaType.ociConfig, digest: sha256(cfgBytes), size: cfgBytes.length } };
  const mbytes = Buffer.from(JSON.stringify({ schemaVersion: 2, mediaType: MediaType.ociManifest, config: config.desc, layers: layers.map((l) => l.desc) }));
  return { layers, config, manifest: { bytes: mbytes, digest: sha256(mbytes), mediaType: MediaType.ociManifest } };
}

/** Streams a buffer in 64 KiB chunks (as a pipeline stage would). */
export function chunked(b: Buffer, failAfter?: number): Readable {
  let off = 0;
  return new Readable({
    read() {
      if (failAfter !== undefined && off >= failAfter) {
        this.destroy(new Error('HMAC mismatch (injected at end of stream)'));
        return;
      }
      if (off >= b.length) {
        this.push(null);
        return;
      }
      const n = Math.min(64 * 1024, b.length - off);
      this.push(b.subarray(off, off + n));
      off += n;
    },
  });
}

/** Pushes a tiny image through our destination; `known` passes digest+size up front. */
export async function pushImage(name: string, ctx: SystemContext, img: TinyImage, known = true): Promise<void> {
  const dest = await ref(name).newImageDestination(ctx);
  try {
    for (const b of [...img.layers, img.config]) {
      if (await dest.tryReuseBlob(b.desc)) continue;
      const info = known ? { digest: b.desc.digest, size: b.desc.size, mediaType: b.desc.mediaType } : { mediaType: b.desc.mediaType };
      const r = await dest.putBlob(chunked(b.bytes), info);
      if (r.digest !== b.desc.digest || r.size !== b.desc.size) throw new Error(`putBlob returned ${r.digest}/${r.size}`);
    }
    await dest.putManifest(img.manifest, { topLevel: true });
    await dest.commit();
  } finally {
    await dest.close();
  }
}

export async function readAll(s: Readable): Promise<Buffer> {
  const parts: Buffer[] = [];
  for await (const c of s) parts.push(c as Buffer);
  return Buffer.concat(parts);
}

/** skopeo flags for a variant (test/peers/README.md). `dir` is 'src' | 'dest' | '' (inspect). */
export function skopeoFlags(peer: RegistryPeer, dir: 'src' | 'dest' | ''): string[] {
  const p = dir ? `--${dir}-` : '--';
  const out: string[] = [];
  if (!peer.tls) out.push(`${p}tls-verify=false`);
  if (peer.certDir) out.push(`${p}cert-dir`, peer.certDir);
  if (peer.user && peer.password) out.push(`${p}creds`, `${peer.user}:${peer.password}`);
  return out;
}

/** Runs skopeo with an empty auth file; resolves with stdout, rejects with stderr. */
export function skopeo(args: string[]): Promise<string> {
  const { authFile } = isolatedEnv();
  return new Promise((resolve, reject) => {
    execFile('skopeo', args, { env: { ...process.env, REGISTRY_AUTH_FILE: authFile }, timeout: 120_000, maxBuffer: 16 << 20 }, (err, stdout, stderr) => {
      if (err) reject(new Error(`skopeo ${args[0]} failed: ${stderr || err.message}`));
      else resolve(stdout);
    });
  });
}

/**
 * Pushes `img` to `name` with our destination, reads it back with our source (manifest
 * digest and a streamed layer), then has skopeo read the stored manifest.
 */
export async function pushReadBackAndCheckWithSkopeo(t: { skip(m?: string): void }, peer: RegistryPeer, name: string, img: TinyImage): Promise<void> {
  await pushImage(`//${peer.host}/${name}`, ctxFor(peer), img);
  const src = await ref(`//${peer.host}/${name}`).newImageSource(ctxFor(peer));
  try {
    assert.equal((await src.getManifest()).digest, img.manifest.digest);
    assert.deepEqual(await readAll(await src.getBlob(img.layers[1]!.desc)), img.layers[1]!.bytes);
  } finally {
    await src.close();
  }
  if (!requireTool('skopeo', t)) return;
  const raw = await skopeo(['inspect', '--raw', ...skopeoFlags(peer, ''), `docker://${peer.host}/${name}`]);
  assert.equal(sha256(Buffer.from(raw)), img.manifest.digest);
}
