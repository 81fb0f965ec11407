/** Reading the files of an OCI image layout (oci-layout, index.json, blobs/ALG/HEX). */
import { join } from 'node:path';
import { ImgsealError } from '../../errors.js';
import { parseDigest, type Digest } from '../../model/digest.js';
import { parseManifest, type ImageIndex } from '../../model/manifest.js';
import { BoundedReadError, describeFailure, readBoundedFile } from '../../util/bounded-file.js';
import { MANIFEST_SIZE_LIMIT } from '../../util/limits.js';

export const OCI_LAYOUT_FILE = 'oci-layout';
export const INDEX_FILE = 'index.json';
export const OCI_LAYOUT_CONTENT = '{"imageLayoutVersion": "1.0.0"}';

export function blobPath(dir: string, digest: Digest): string {
  const { algorithm, hex } = parseDigest(digest);
  return join(dir, 'blobs', algorithm, hex);
}

/** Reads index.json, or returns undefined when the folder is not (yet) a layout. */
export async function readLayoutIndex(dir: string): Promise<ImageIndex | undefined> {
  const path = join(dir, INDEX_FILE);
  let bytes: Buffer;
  try {
    bytes = await readBoundedFile(path, MANIFEST_SIZE_LIMIT);
  } catch (err) {
    if (err instanceof BoundedReadError && err.failure.kind === 'missing') return undefined;
    throw boundedReadFailure(err, path);
  }
  const parsed = parseManifest(bytes, 'application/vnd.oci.image.index.v1+json', path);
  if (parsed.kind !== 'index') throw new ImgsealError('MANIFEST_INVALID', `${path} is not an image index`);
  return parsed.index;
}

/** The ImgsealError for a failed readBoundedFile of layout metadata (index.json, a manifest blob). */
export function boundedReadFailure(err: unknown, path: string): ImgsealError {
  if (err instanceof BoundedReadError) {
    const code = err.failure.kind === 'too-large' || err.failure.kind === 'not-regular' ? 'MANIFEST_INVALID' : 'IO_ERROR';
    return new ImgsealError(code, `reading ${path}: ${describeFailure(err.failure)}`, { cause: err });
  }
  return new ImgsealError('IO_ERROR', `reading ${path}: ${(err as Error).message}`, { cause: err });
}
