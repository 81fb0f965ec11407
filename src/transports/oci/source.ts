import { createReadStream } from 'node:fs';
import { stat } from 'node:fs/promises';
import type { Readable } from 'node:stream';
import { ImgsealError } from '../../errors.js';
import { selectImage } from '../common/select-image.js';
import { manifestWhat } from '../common/verified-manifest.js';
import type { Descriptor } from '../../model/descriptor.js';
import { verifyDigest, type Digest } from '../../model/digest.js';
import { detectManifestMediaType } from '../../model/manifest.js';
import { BoundedReadError, describeFailure, readBoundedFile } from '../../util/bounded-file.js';
import { MANIFEST_SIZE_LIMIT } from '../../util/limits.js';
import { openBlobFile } from '../common/blob-file-reader.js';
import type { BlobReader, ImageSource, ManifestBlob } from '../types.js';
import { blobPath, readLayoutIndex } from './layout.js';
import type { OciLayoutReference } from './reference.js';

export class OciLayoutSource implements ImageSource {
  readonly reference: OciLayoutReference;
  private readonly top: Descriptor;

  private constructor(reference: OciLayoutReference, top: Descriptor) {
    this.reference = reference;
    this.top = top;
  }

  static async open(reference: OciLayoutReference): Promise<OciLayoutSource> {
    const index = await readLayoutIndex(reference.dir);
    if (!index) throw new ImgsealError('IMAGE_NOT_FOUND', `${reference.toString()}: no OCI layout at ${reference.dir} (index.json missing)`);
    const top = selectImage(index.manifests, reference.refName, {
      where: reference.toString(),
      container: 'layout',
      nameHint: `oci:${reference.dir}:REF`,
      refuseDuplicateNames: false, // a layout's first entry wins, as it always did here
    });
    return new OciLayoutSource(reference, top);
  }

  async getManifest(instance?: Digest): Promise<ManifestBlob> {
    const digest = instance ?? this.top.digest;
    // A manifest is read into memory and shown by read-only commands: at most
    // MANIFEST_SIZE_LIMIT bytes, and only a regular file of the layout (a symlinked
    // blob could make `inspect --raw` print any file of the host).
    const bytes = await this.readSmall(digest, MANIFEST_SIZE_LIMIT, 'manifest', true);
    const what = manifestWhat(this.reference.toString(), instance);
    // Content-addressed: the name is the digest, so checking it costs one hash of a small
    // blob and keeps an edited manifest from being shown or used under a digest it lacks.
    verifyDigest(bytes, digest, what);
    // The top level's type is the index entry's; a child's comes from its own bytes
    // (the caller may know better from the parent index's descriptor).
    const mediaType = instance ? detectManifestMediaType(bytes, undefined, what) : this.top.mediaType;
    return { bytes, mediaType, digest };
  }

  async getBlob(desc: Descriptor): Promise<Readable> {
    const path = blobPath(this.reference.dir, desc.digest);
    let regular: boolean;
    try {
      regular = (await stat(path)).isFile();
    } catch {
      throw new ImgsealError('BLOB_NOT_FOUND', `${this.reference.toString()}: blob ${desc.digest} is missing from the layout`);
    }
    // A FIFO or device would block or never end: a blob is a regular file.
    if (!regular) throw new ImgsealError('IO_ERROR', `${this.reference.toString()}: blob ${desc.digest} is not a regular file`);
    // 256 KiB reads: large enough that per-chunk overhead vanishes, small enough for
    // the cipher to stay in cache (OpenSSL's AES-CTR is ~2× faster than with 1 MiB).
    return createReadStream(path, { highWaterMark: 256 << 10 });
  }

  openBlobReader(desc: Descriptor): Promise<BlobReader> {
    return openBlobFile(
      blobPath(this.reference.dir, desc.digest),
      () => new ImgsealError('BLOB_NOT_FOUND', `${this.reference.toString()}: blob ${desc.digest} is missing from the layout`),
      () => new ImgsealError('IO_ERROR', `${this.reference.toString()}: blob ${desc.digest} is not a regular file`),
    );
  }

  async getBlobBytes(desc: Descriptor): Promise<Buffer> {
    // Never more than the descriptor declares (plus one byte, to tell "larger").
    return this.readSmall(desc.digest, Math.max(desc.size, 0) + 1, 'blob', false);
  }

  async close(): Promise<void> {}

  private async readSmall(digest: Digest, limit: number, what: 'manifest' | 'blob', noFollow: boolean): Promise<Buffer> {
    const path = blobPath(this.reference.dir, digest);
    try {
      return await readBoundedFile(path, limit, { noFollow });
    } catch (err) {
      const f = err instanceof BoundedReadError ? err.failure : undefined;
      if (f?.kind === 'missing') throw new ImgsealError('BLOB_NOT_FOUND', `${this.reference.toString()}: ${what} ${digest} is missing from the layout`, { cause: err });
      if (f?.kind === 'too-large' && what === 'blob') throw new ImgsealError('SIZE_MISMATCH', `${this.reference.toString()}: blob ${digest} is larger than the ${limit - 1} bytes the manifest declares`, { cause: err });
      throw new ImgsealError(f?.kind === 'too-large' || f?.kind === 'not-regular' ? 'MANIFEST_INVALID' : 'IO_ERROR', `${this.reference.toString()}: ${what} ${digest}: ${f ? describeFailure(f) : (err as Error).message}`, { cause: err });
    }
  }
}
