/** Reading the files of an OCI image layout (oci-layout, index.json, blobs/ALG/HEX). */
import { readFile } from 'node:fs/promises';
import { join } from 'node:path';
import { ImgsealError } from '../../errors.js';
import { parseDigest, type Digest } from '../../model/digest.js';
import { parseManifest, type ImageIndex } from '../../model/manifest.js';

export const OCI_LAYOUT_FILE = 'oci-layout';
export const INDEX_FILE = 'index.json';
export const OCI_LAYOUT_CONTENT = '{"imageLayoutVersion": "1.0.0"}';

export function blobPath(dir: string, digest: Digest): string {
  const { algorithm, hex } = parseDigest(digest);
  return join(dir, 'blobs', algorithm, hex);
}

/** Reads index.json, or returns undefined when the folder is not (yet) a layout. */
export async function readLayoutIndex(dir: string): Promise<ImageIndex | undefined> {
  let bytes: Buffer;
  try {
    bytes = await readFile(join(dir, INDEX_FILE));
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code === 'ENOENT') return undefined;
    throw new ImgsealError('IO_ERROR', `reading ${join(dir, INDEX_FILE)}: ${(err as Error).message}`, { cause: err });
  }
  const parsed = parseManifest(bytes, 'application/vnd.oci.image.index.v1+json');
  if (parsed.kind !== 'index') throw new ImgsealError('MANIFEST_INVALID', `${join(dir, INDEX_FILE)} is not an image index`);
  return parsed.index;
}
