/** Reads an image from a `dir:` folder (layout.ts): manifests by name, blobs by digest. */
import { createReadStream } from 'node:fs';
import { stat } from 'node:fs/promises';
import type { Readable } from 'node:stream';
import { ImgsealError } from '../../errors.js';
import type { Descriptor } from '../../model/descriptor.js';
import { sha256Digest, verifyDigest, type Digest } from '../../model/digest.js';
import { detectManifestMediaType } from '../../model/manifest.js';
import type { BlobReader, ImageReference, ImageSource, ManifestBlob, UntrustedSignature } from '../types.js';
import { openBlobFile } from '../common/blob-file-reader.js';
import { parseStoredSignature } from '../../signature/storage-format.js';
import { BoundedReadError, describeFailure, readBoundedFile } from '../../util/bounded-file.js';
import { MANIFEST_SIZE_LIMIT } from '../../util/limits.js';
import { manifestWhat } from '../common/verified-manifest.js';
import { dirBlobPath, dirManifestPath, dirSignaturePath } from './layout.js';

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
      // Bounded while reading, a regular file only (not a link to some host file).
      bytes = await readBoundedFile(path, MANIFEST_SIZE_LIMIT, { noFollow: true });
    } catch (err) {
      const f = err instanceof BoundedReadError ? err.failure : undefined;
      const which = instance ? `manifest ${instance}` : 'manifest.json';
      if (f?.kind === 'too-large' || f?.kind === 'not-regular') {
        throw new ImgsealError('MANIFEST_INVALID', `${this.reference.toString()}: ${path}: ${describeFailure(f)}`, { cause: err });
      }
      throw new ImgsealError('IMAGE_NOT_FOUND', `${this.reference.toString()}: ${which} is missing (${path})`, { cause: err });
    }
    // An instance is named by its digest: what is shown or copied must have it.
    if (instance) verifyDigest(bytes, instance, manifestWhat(this.reference.toString(), instance));
    const digest = instance ?? sha256Digest(bytes);
    return { bytes, digest, mediaType: detectManifestMediaType(bytes, undefined, path) };
  }

  async getBlob(desc: Descriptor): Promise<Readable> {
    const path = dirBlobPath(this.dir, desc.digest);
    let regular: boolean;
    try {
      regular = (await stat(path)).isFile();
    } catch {
      throw this.missing(desc.digest);
    }
    // A FIFO or device would block or never end: a blob is a regular file.
    if (!regular) throw new ImgsealError('IO_ERROR', `${this.reference.toString()}: blob ${desc.digest} is not a regular file`);
    return createReadStream(path, { highWaterMark: 256 << 10 });
  }

  openBlobReader(desc: Descriptor): Promise<BlobReader> {
    return openBlobFile(
      dirBlobPath(this.dir, desc.digest),
      () => this.missing(desc.digest),
      () => new ImgsealError('IO_ERROR', `${this.reference.toString()}: blob ${desc.digest} is not a regular file`),
    );
  }

  async getBlobBytes(desc: Descriptor): Promise<Buffer> {
    try {
      // Never more than the descriptor declares (plus one byte, to tell "larger").
      return await readBoundedFile(dirBlobPath(this.dir, desc.digest), Math.max(desc.size, 0) + 1);
    } catch (err) {
      const f = err instanceof BoundedReadError ? err.failure : undefined;
      if (f?.kind === 'too-large') throw new ImgsealError('SIZE_MISMATCH', `${this.reference.toString()}: blob ${desc.digest} is larger than the ${desc.size} bytes the manifest declares`, { cause: err });
      if (f?.kind === 'not-regular') throw new ImgsealError('IO_ERROR', `${this.reference.toString()}: blob ${desc.digest}: ${describeFailure(f)}`, { cause: err });
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
        blob = await readBoundedFile(path, MAX_SIGNATURE_BYTES);
      } catch (err) {
        const f = err instanceof BoundedReadError ? err.failure : undefined;
        if (f?.kind === 'missing') return out;
        if (f?.kind === 'too-large' || f?.kind === 'not-regular') throw new ImgsealError('SIGNATURE_INVALID', `${path}: ${describeFailure(f)}`, { cause: err });
        throw new ImgsealError('IO_ERROR', `reading signature ${path}: ${f ? describeFailure(f) : (err as Error).message}`, { cause: err });
      }
      out.push(parseStoredSignature(blob, path));
    }
  }

  async close(): Promise<void> {}

  private missing(d: Digest, cause?: unknown): ImgsealError {
    return new ImgsealError('BLOB_NOT_FOUND', `${this.reference.toString()}: blob ${d} is missing from the folder`, { cause });
  }
}
