/**
 * Writes an `oci-archive:` tar. Blobs and manifests are staged in a folder beside the
 * target; commit() writes the whole layout (oci-layout, index.json, blobs) as a tar
 * and renames it over FILE. As skopeo, an existing FILE is replaced, not merged into.
 */
import type { Readable } from 'node:stream';
import { ImgsealError } from '../../errors.js';
import { canonicalDescriptor, REF_NAME_ANNOTATION, type Descriptor } from '../../model/descriptor.js';
import { digestOf, parseDigest } from '../../model/digest.js';
import { parseManifest } from '../../model/manifest.js';
import type { ImageDestination, ImageReference, ManifestBlob, PutBlobInfo, PutBlobResult } from '../types.js';
import { BlobStage } from './staging.js';
import type { TarInput } from './tar-write.js';

/** Byte-for-byte what containers/image writes (note the space). */
const OCI_LAYOUT = Buffer.from('{"imageLayoutVersion": "1.0.0"}');

export class OciArchiveDestination implements ImageDestination {
  readonly reference: ImageReference;
  /**
   * Undefined = any. containers/image's OCI layout destination lists only OCI types and
   * converts Docker schema2 first; our pipeline passes manifests through unchanged unless
   * it encrypts (then it writes OCI), and a schema2 manifest in a layout is valid and
   * read back by skopeo, so we store what we are given rather than force a conversion.
   */
  readonly supportedManifestMediaTypes = undefined;
  readonly maxParallelBlobs = 4;
  private readonly stage: BlobStage;
  private readonly refName: string | undefined;
  private top: Descriptor | undefined;
  private topParsed: ReturnType<typeof parseManifest> | undefined;

  private constructor(reference: ImageReference, stage: BlobStage, refName: string | undefined) {
    this.reference = reference;
    this.stage = stage;
    this.refName = refName;
  }

  static async open(ref: ImageReference & { file: string; refName: string | undefined }): Promise<OciArchiveDestination> {
    return new OciArchiveDestination(ref, await BlobStage.create(ref.file), ref.refName);
  }

  async tryReuseBlob(desc: Descriptor): Promise<boolean> {
    return this.stage.has(desc.digest);
  }

  putBlob(stream: Readable, info: PutBlobInfo, opts?: { signal?: AbortSignal }): Promise<PutBlobResult> {
    return this.stage.putBlob(stream, info, opts?.signal);
  }

  async putManifest(blob: ManifestBlob, opts: { topLevel: boolean }): Promise<void> {
    if (digestOf(blob.bytes, blob.digest) !== blob.digest) {
      throw new ImgsealError('DIGEST_MISMATCH', `${this.reference.toString()}: manifest bytes do not hash to ${blob.digest}`);
    }
    const parsed = parseManifest(blob.bytes, blob.mediaType);
    await this.stage.putBytes(blob.bytes, blob.digest);
    if (!opts.topLevel) return;
    const desc: Descriptor = { mediaType: parsed.mediaType, digest: blob.digest, size: blob.bytes.length };
    if (this.refName !== undefined) desc.annotations = { [REF_NAME_ANNOTATION]: this.refName };
    this.top = desc;
    this.topParsed = parsed;
  }

  async commit(): Promise<void> {
    if (!this.top || !this.topParsed) {
      throw new ImgsealError('INTERNAL', `${this.reference.toString()}: commit before the top-level manifest was written`);
    }
    // Refuse to publish an archive that skopeo would fail to read back.
    const p = this.topParsed;
    const needed = p.kind === 'index' ? p.index.manifests : [p.manifest.config, ...p.manifest.layers];
    for (const d of needed) {
      if (!this.stage.has(d.digest) && !(d.urls && d.urls.length > 0)) {
        throw new ImgsealError('BLOB_NOT_FOUND', `${this.reference.toString()}: ${d.digest} was never written, cannot commit`);
      }
    }
    const index = { schemaVersion: 2, manifests: [canonicalDescriptor(this.top)] };
    const entries: TarInput[] = [{ name: 'blobs/', type: 'directory' }];
    let lastAlgorithm = '';
    for (const d of this.stage.digests()) {
      const { algorithm, hex } = parseDigest(d);
      if (algorithm !== lastAlgorithm) entries.push({ name: `blobs/${algorithm}/`, type: 'directory' });
      lastAlgorithm = algorithm;
      entries.push({ name: `blobs/${algorithm}/${hex}`, type: 'file', path: this.stage.blobPath(d) });
    }
    entries.push({ name: 'index.json', type: 'file', bytes: Buffer.from(JSON.stringify(index)) });
    entries.push({ name: 'oci-layout', type: 'file', bytes: OCI_LAYOUT });
    await this.stage.commitArchive(entries);
  }

  async close(): Promise<void> {
    await this.stage.remove();
  }
}
