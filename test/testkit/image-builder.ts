// Builds small OCI image layouts by hand (node:zlib + tar-stream; zstd layers with the
// zstd CLI), so tests do not depend on the code under test to make their inputs.
import { spawnSync } from 'node:child_process';
import { createHash } from 'node:crypto';
import { mkdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { gzipSync } from 'node:zlib';
import { pack } from 'tar-stream';

export const OCI_MANIFEST = 'application/vnd.oci.image.manifest.v1+json';
export const OCI_INDEX = 'application/vnd.oci.image.index.v1+json';
export const OCI_CONFIG = 'application/vnd.oci.image.config.v1+json';
export const LAYER_TAR = 'application/vnd.oci.image.layer.v1.tar';
export const LAYER_TAR_GZIP = 'application/vnd.oci.image.layer.v1.tar+gzip';
export const LAYER_TAR_ZSTD = 'application/vnd.oci.image.layer.v1.tar+zstd';
export const REF_NAME = 'org.opencontainers.image.ref.name';

export interface LayerSpec {
  files: Record<string, string>;
  compression: 'gzip' | 'zstd' | 'none';
}

/** `zstd -c` of `data` (Debian's zstd, one of the test peers). */
function zstdCompress(data: Buffer): Buffer {
  const r = spawnSync('zstd', ['-q', '-c'], { input: data, maxBuffer: 1 << 30 });
  if (r.error || r.status !== 0) throw new Error(`zstd failed: ${r.error?.message ?? r.stderr.toString()}`);
  return r.stdout;
}

export interface Descriptor {
  mediaType: string;
  digest: string;
  size: number;
  annotations?: Record<string, string>;
  platform?: { os: string; architecture: string; variant?: string };
}

export interface BuiltLayer {
  desc: Descriptor;
  /** The blob as stored (compressed or not). */
  blob: Buffer;
  /** The uncompressed tar. */
  tar: Buffer;
  diffId: string;
  files: Record<string, string>;
}

export interface BuiltImage {
  manifest: Descriptor;
  manifestBytes: Buffer;
  config: Descriptor;
  configBytes: Buffer;
  layers: BuiltLayer[];
  platform: { os: string; architecture: string };
}

export function sha256(b: Uint8Array | string): string {
  return `sha256:${createHash('sha256').update(b).digest('hex')}`;
}

/** A deterministic tar of `files` (regular files, mode 0644, mtime 0). */
export async function makeTar(files: Record<string, string>): Promise<Buffer> {
  const p = pack();
  const chunks: Buffer[] = [];
  const done = new Promise<void>((resolve, reject) => {
    p.on('data', (c: unknown) => chunks.push(c as Buffer));
    p.on('end', resolve);
    p.on('error', reject);
  });
  for (const [name, content] of Object.entries(files)) {
    await new Promise<void>((resolve, reject) => {
      p.entry({ name, mode: 0o644, mtime: new Date(0), uid: 0, gid: 0, type: 'file' }, content, (err) => (err ? reject(err) : resolve()));
    });
  }
  p.finalize();
  await done;
  return Buffer.concat(chunks);
}

export async function makeLayer(spec: LayerSpec): Promise<BuiltLayer> {
  const tar = await makeTar(spec.files);
  const blob = spec.compression === 'gzip' ? gzipSync(tar) : spec.compression === 'zstd' ? zstdCompress(tar) : tar;
  const mediaType = { gzip: LAYER_TAR_GZIP, zstd: LAYER_TAR_ZSTD, none: LAYER_TAR }[spec.compression];
  return {
    desc: { mediaType, digest: sha256(blob), size: blob.length },
    blob,
    tar,
    diffId: sha256(tar),
    files: spec.files,
  };
}

function writeBlob(dir: string, bytes: Buffer): void {
  const digest = sha256(bytes);
  mkdirSync(join(dir, 'blobs', 'sha256'), { recursive: true });
  writeFileSync(join(dir, 'blobs', 'sha256', digest.slice('sha256:'.length)), bytes);
}

async function buildImage(dir: string, layers: BuiltLayer[], platform: { os: string; architecture: string }): Promise<BuiltImage> {
  for (const l of layers) writeBlob(dir, l.blob);
  const configBytes = Buffer.from(
    JSON.stringify({
      architecture: platform.architecture,
      os: platform.os,
      config: { Env: ['PATH=/usr/bin'] },
      rootfs: { type: 'layers', diff_ids: layers.map((l) => l.diffId) },
      history: layers.map((_, i) => ({ created_by: `imgseal test layer ${i}` })),
    }),
  );
  writeBlob(dir, configBytes);
  const config: Descriptor = { mediaType: OCI_CONFIG, digest: sha256(configBytes), size: configBytes.length };
  const manifestBytes = Buffer.from(JSON.stringify({ schemaVersion: 2, mediaType: OCI_MANIFEST, config, layers: layers.map((l) => l.desc) }));
  writeBlob(dir, manifestBytes);
  const manifest: Descriptor = { mediaType: OCI_MANIFEST, digest: sha256(manifestBytes), size: manifestBytes.length };
  return { manifest, manifestBytes, config, configBytes, layers, platform };
}

function writeLayoutIndex(dir: string, top: Descriptor[]): void {
  writeFileSync(join(dir, 'oci-layout'), '{"imageLayoutVersion": "1.0.0"}');
  writeFileSync(join(dir, 'index.json'), JSON.stringify({ schemaVersion: 2, mediaType: OCI_INDEX, manifests: top }));
}

export interface BuildOptions {
  ref?: string;
  platform?: { os: string; architecture: string };
}

/** One image (manifest) in a new OCI layout at `dir`, named `ref` (default `base`). */
export async function buildLayout(dir: string, layers: LayerSpec[], opts: BuildOptions = {}): Promise<BuiltImage> {
  const built = await Promise.all(layers.map(makeLayer));
  const img = await buildImage(dir, built, opts.platform ?? { os: 'linux', architecture: 'amd64' });
  writeLayoutIndex(dir, [{ ...img.manifest, annotations: { [REF_NAME]: opts.ref ?? 'base' } }]);
  return img;
}

export interface MultiArch {
  index: Descriptor;
  indexBytes: Buffer;
  /** amd64 first, then arm64. */
  images: BuiltImage[];
  shared: BuiltLayer;
}

/**
 * An index with linux/amd64 and linux/arm64 images; both share layer 0 (`shared.txt`)
 * and have their own layer 1 (`arch.txt` naming the architecture).
 */
export async function buildMultiArchLayout(dir: string, opts: { ref?: string; compression?: 'gzip' | 'none' } = {}): Promise<MultiArch> {
  const compression = opts.compression ?? 'gzip';
  const shared = await makeLayer({ files: { 'shared.txt': 'shared base layer\n' }, compression });
  const images: BuiltImage[] = [];
  for (const architecture of ['amd64', 'arm64']) {
    const own = await makeLayer({ files: { 'arch.txt': `built for ${architecture}\n` }, compression });
    images.push(await buildImage(dir, [shared, own], { os: 'linux', architecture }));
  }
  const indexBytes = Buffer.from(
    JSON.stringify({
      schemaVersion: 2,
      mediaType: OCI_INDEX,
      manifests: images.map((img) => ({ ...img.manifest, platform: img.platform })),
    }),
  );
  writeBlob(dir, indexBytes);
  const index: Descriptor = { mediaType: OCI_INDEX, digest: sha256(indexBytes), size: indexBytes.length };
  writeLayoutIndex(dir, [{ ...index, annotations: { [REF_NAME]: opts.ref ?? 'base' } }]);
  return { index, indexBytes, images, shared };
}

/** Adds another image under `ref` to an existing layout (for "existing destination" tests). */
export async function addImageToLayout(dir: string, ref: string, layers: LayerSpec[]): Promise<BuiltImage> {
  const { readFileSync } = await import('node:fs');
  const index = JSON.parse(readFileSync(join(dir, 'index.json'), 'utf8')) as { manifests: Descriptor[] };
  const built = await Promise.all(layers.map(makeLayer));
  const img = await buildImage(dir, built, { os: 'linux', architecture: 'amd64' });
  writeLayoutIndex(dir, [...index.manifests, { ...img.manifest, annotations: { [REF_NAME]: ref } }]);
  return img;
}
