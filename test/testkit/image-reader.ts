// Reads images back out of OCI layouts independently of the code under test:
// index.json → (index →) manifest → config and layers, each layer decompressed and untarred.
import { createHash } from 'node:crypto';
import { existsSync, readdirSync, readFileSync, statSync } from 'node:fs';
import { join, relative } from 'node:path';
import { gunzipSync } from 'node:zlib';
import { Readable } from 'node:stream';
import { decompress as zstdDecompress } from 'fzstd';
import { extract } from 'tar-stream';
import type { Descriptor } from './image-builder.js';

export const REF_NAME = 'org.opencontainers.image.ref.name';

export interface Manifest {
  schemaVersion: number;
  mediaType?: string;
  config: Descriptor;
  layers: Descriptor[];
}

export interface Index {
  schemaVersion: number;
  mediaType?: string;
  manifests: Descriptor[];
}

export interface ReadLayer {
  desc: Descriptor;
  blob: Buffer;
  /** Files of the layer; undefined when the layer is encrypted. */
  files: Record<string, string> | undefined;
  /** sha256 of the uncompressed tar; undefined when encrypted. */
  diffId: string | undefined;
}

export interface ReadImage {
  /** Descriptor of this manifest (from index.json or from the parent index). */
  desc: Descriptor;
  manifestBytes: Buffer;
  manifest: Manifest;
  configBytes: Buffer;
  config: { os?: string; architecture?: string; rootfs?: { diff_ids: string[] } };
  layers: ReadLayer[];
  /** All files of all layers, upper layers overriding lower ones. */
  files: Record<string, string>;
}

export function blobFile(dir: string, digest: string): string {
  const [alg, hex] = digest.split(':') as [string, string];
  return join(dir, 'blobs', alg, hex);
}

export function readBlob(dir: string, digest: string): Buffer {
  return readFileSync(blobFile(dir, digest));
}

export function sha256(b: Uint8Array): string {
  return `sha256:${createHash('sha256').update(b).digest('hex')}`;
}

export function readIndexJson(dir: string): Index {
  return JSON.parse(readFileSync(join(dir, 'index.json'), 'utf8')) as Index;
}

/** The index.json entry named `ref` (or the only entry). */
export function topDescriptor(dir: string, ref?: string): Descriptor {
  const index = readIndexJson(dir);
  const found = ref === undefined ? index.manifests : index.manifests.filter((m) => m.annotations?.[REF_NAME] === ref);
  if (found.length !== 1) throw new Error(`${dir}: expected one image named ${ref ?? '(any)'}, found ${found.length}`);
  return found[0] as Descriptor;
}

export async function untar(tar: Buffer): Promise<Record<string, string>> {
  const out: Record<string, string> = {};
  const ex = extract();
  const done = new Promise<void>((resolve, reject) => {
    ex.on('entry', (header, stream, next) => {
      const chunks: Buffer[] = [];
      stream.on('data', (c: unknown) => chunks.push(c as Buffer));
      stream.on('end', () => {
        if (header.type === 'file') out[header.name.replace(/^\.\//, '')] = Buffer.concat(chunks).toString('utf8');
        next();
      });
      stream.resume();
    });
    ex.on('finish', resolve);
    ex.on('error', reject);
  });
  Readable.from([tar]).pipe(ex);
  await done;
  return out;
}

/** Uncompressed tar of a plaintext layer blob, by media type; undefined for encrypted layers. */
export function layerTar(mediaType: string, blob: Buffer): Buffer | undefined {
  if (mediaType.endsWith('+encrypted')) return undefined;
  if (mediaType.endsWith('+gzip') || mediaType.endsWith('.tar.gzip')) return gunzipSync(blob);
  if (mediaType.endsWith('+zstd')) return Buffer.from(zstdDecompress(blob));
  if (mediaType.endsWith('.tar') || mediaType.endsWith('.v1.tar')) return blob;
  throw new Error(`unknown layer media type ${mediaType}`);
}

export async function readManifestImage(dir: string, desc: Descriptor): Promise<ReadImage> {
  const manifestBytes = readBlob(dir, desc.digest);
  const manifest = JSON.parse(manifestBytes.toString('utf8')) as Manifest;
  const configBytes = readBlob(dir, manifest.config.digest);
  const config = JSON.parse(configBytes.toString('utf8')) as ReadImage['config'];
  const layers: ReadLayer[] = [];
  const files: Record<string, string> = {};
  for (const l of manifest.layers) {
    const blob = readBlob(dir, l.digest);
    const tar = layerTar(l.mediaType, blob);
    const lf = tar ? await untar(tar) : undefined;
    if (lf) Object.assign(files, lf);
    layers.push({ desc: l, blob, files: lf, diffId: tar ? sha256(tar) : undefined });
  }
  return { desc, manifestBytes, manifest, configBytes, config, layers, files };
}

/** Reads the image named `ref`; it must be a single manifest (not an index). */
export async function readImage(dir: string, ref?: string): Promise<ReadImage> {
  const top = topDescriptor(dir, ref);
  if (top.mediaType === 'application/vnd.oci.image.index.v1+json') throw new Error(`${dir}:${ref}: is an index, use readIndexImages`);
  return readManifestImage(dir, top);
}

export interface ReadIndex {
  desc: Descriptor;
  indexBytes: Buffer;
  index: Index;
  /** Keyed by `os/architecture`. */
  images: Map<string, ReadImage>;
}

/** Reads the index named `ref` and every image it lists. */
export async function readIndexImages(dir: string, ref?: string): Promise<ReadIndex> {
  const desc = topDescriptor(dir, ref);
  if (desc.mediaType !== 'application/vnd.oci.image.index.v1+json') throw new Error(`${dir}:${ref}: expected an image index, found ${desc.mediaType}`);
  const indexBytes = readBlob(dir, desc.digest);
  const index = JSON.parse(indexBytes.toString('utf8')) as Index;
  const images = new Map<string, ReadImage>();
  for (const m of index.manifests) {
    images.set(`${m.platform?.os}/${m.platform?.architecture}`, await readManifestImage(dir, m));
  }
  return { desc, indexBytes, index, images };
}

/** Every blob file of a layout: digest → size. */
export function listBlobs(dir: string): Map<string, number> {
  const out = new Map<string, number>();
  const root = join(dir, 'blobs');
  if (!existsSync(root)) return out;
  for (const alg of readdirSync(root)) {
    for (const hex of readdirSync(join(root, alg))) out.set(`${alg}:${hex}`, statSync(join(root, alg, hex)).size);
  }
  return out;
}

/**
 * path → sha256 of every file below `dir` (directories as `dir/`), or undefined when
 * `dir` does not exist. Two equal snapshots mean nothing was added, removed or changed.
 */
export function snapshotTree(dir: string): Map<string, string> | undefined {
  if (!existsSync(dir)) return undefined;
  const out = new Map<string, string>();
  const walk = (d: string): void => {
    for (const name of readdirSync(d).sort()) {
      const p = join(d, name);
      const rel = relative(dir, p);
      if (statSync(p).isDirectory()) {
        out.set(`${rel}/`, 'dir');
        walk(p);
      } else {
        out.set(rel, createHash('sha256').update(readFileSync(p)).digest('hex'));
      }
    }
  };
  walk(dir);
  return out;
}

/** Names of entries in `parent` (to check that no stray staging folders were left). */
export function listDir(parent: string): string[] {
  return existsSync(parent) ? readdirSync(parent).sort() : [];
}
