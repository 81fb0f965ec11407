/** Reads an image from a `dir:` folder (layout.ts): manifests by name, blobs by digest. */
import { createReadStream } from 'node:fs';
import { readFile, stat } from 'node:fs/promises';
import type { Readable } from 'node:stream';
import { ImgsealError } from '../../errors.js';
import type { Descriptor } from '../../model/descriptor.js';
import { digestOf, sha256Digest, type Digest } from '../../model/digest.js';
import { detectManifestMediaType } from '../../model/manifest.js';
import type { ImageReference, ImageSource, ManifestBlob, UntrustedSignature } from '../types.js';
import { parseStoredSignature } from '../../signature/storage-format.js';
import { dirBlobPath, dirManifestPath, dirSignaturePath } from './layout.js';

/** containers/image refuses manifests above 4 MiB; so do we (they are read into memory). */
const MAX_MANIFEST_BYTES = 4 << 20;
/** containers/image's iolimits.MaxSignatureBodySize. */
const MAX_SIGNATURE_BYTES = 4 << 20;

export class DirImageSource implements ImageSource {
  private constructor(
    readonly reference: ImageReference,
    private readonly dir: string,
  ) {}

  static async open(reference: ImageReference, dir: string): Promise<DirImageSource> {
    try {
      await stat(dirManifestPath(dir));
    } catch {
      throw new ImgsealError('IMAGE_NOT_FOUND', `${reference.toString()}: no image in ${dir} (manifest.json missing)`);
    }
    return new DirImageSource(reference, dir);
  }

  async getManifest(instance?: Digest): Promise<ManifestBlob> {
    const path = dirManifestPath(this.dir, instance);
    let bytes: Buffer;
    try {
      const st = await stat(path);
      if (st.size > MAX_MANIFEST_BYTES) throw new ImgsealError('MANIFEST_INVALID', `${path} is ${st.size} bytes, more than the ${MAX_MANIFEST_BYTES} allowed`);
      bytes = await readFile(path);
    } catch (err) {
      if (err instanceof ImgsealError) throw err;
      const which = instance ? `manifest ${instance}` : 'manifest.json';
      throw new ImgsealError('IMAGE_NOT_FOUND', `${this.reference.toString()}: ${which} is missing (${path})`, { cause: err });
    }
    // An instance is named by its digest; the copy pipeline verifies both against what it expects.
    const digest = instance ? digestOf(bytes, instance) : sha256Digest(bytes);
    return { bytes, digest, mediaType: detectManifestMediaType(bytes) };
  }

  async getBlob(desc: Descriptor): Promise<Readable> {
    const path = dirBlobPath(this.dir, desc.digest);
    try {
      await stat(path);
    } catch {
      throw this.missing(desc.digest);
    }
    return createReadStream(path, { highWaterMark: 256 << 10 });
  }

  async getBlobBytes(desc: Descriptor): Promise<Buffer> {
    try {
      return await readFile(dirBlobPath(this.dir, desc.digest));
    } catch (err) {
      throw this.missing(desc.digest, err);
    }
  }

  /** signature-1, -2, … until the first missing one (instance images: HEX.signature-N), as skopeo. */
  async getSignatures(manifestDigest: Digest): Promise<UntrustedSignature[]> {
    const top = await this.getManifest();
    const instance = top.digest === manifestDigest ? undefined : manifestDigest;
    const out: UntrustedSignature[] = [];
    for (let n = 1; ; n++) {
      const path = dirSignaturePath(this.dir, n, instance);
      let blob: Buffer;
      try {
        const st = await stat(path);
        if (st.size > MAX_SIGNATURE_BYTES) throw new ImgsealError('SIGNATURE_INVALID', `${path} is ${st.size} bytes, more than the ${MAX_SIGNATURE_BYTES} allowed`);
        blob = await readFile(path);
      } catch (err) {
        if (err instanceof ImgsealError) throw err;
        if ((err as NodeJS.ErrnoException).code === 'ENOENT') return out;
        throw new ImgsealError('IO_ERROR', `reading signature ${path}: ${(err as Error).message}`, { cause: err });
      }
      out.push(parseStoredSignature(blob, path));
    }
  }

  async close(): Promise<void> {}

  private missing(d: Digest, cause?: unknown): ImgsealError {
    return new ImgsealError('BLOB_NOT_FOUND', `${this.reference.toString()}: blob ${d} is missing from the folder`, { cause });
  }
}
