/**
 * Reads an image from an `oci-archive:` tar without unpacking it: the tar is indexed
 * once (headers only), small JSON files are read whole, blobs are streamed from their
 * byte range in the file.
 */
import type { Readable } from 'node:stream';
import { ImgsealError } from '../../errors.js';
import { selectImage } from '../common/select-image.js';
import { parseDescriptor, type Descriptor } from '../../model/descriptor.js';
import { parseJsonObject } from '../../model/json.js';
import { parseDigest, type Digest } from '../../model/digest.js';
import { detectManifestMediaType } from '../../model/manifest.js';
import type { ImageReference, ImageSource, ManifestBlob } from '../types.js';
import { MANIFEST_SIZE_LIMIT } from '../../util/limits.js';
import { indexTar, type TarIndex } from './tar-index.js';


export async function openOciArchiveSource(ref: ImageReference & { file: string; refName: string | undefined }, signal?: AbortSignal): Promise<ImageSource> {
  const tar = await indexTar(ref.file, signal ? { signal } : {});
  try {
    return await openIndexed(ref, tar);
  } catch (err) {
    await tar.close(); // a compressed archive's temporary copy
    throw err;
  }
}

async function openIndexed(ref: ImageReference & { file: string; refName: string | undefined }, tar: TarIndex): Promise<ImageSource> {
  const layout = tar.find('oci-layout');
  if (!layout) throw new ImgsealError('MANIFEST_INVALID', `${ref.file} is not an OCI archive: no oci-layout file`);
  const version = parseJsonObject(await tar.read(layout, 64 << 10), `${ref.file}: oci-layout`).imageLayoutVersion;
  if (typeof version !== 'string') throw new ImgsealError('MANIFEST_INVALID', `${ref.file}: oci-layout has no imageLayoutVersion`);
  const indexEntry = tar.find('index.json');
  if (!indexEntry) throw new ImgsealError('MANIFEST_INVALID', `${ref.file} is not an OCI archive: no index.json`);
  const index = parseJsonObject(await tar.read(indexEntry, MANIFEST_SIZE_LIMIT), `${ref.file}: index.json`);
  if (!Array.isArray(index.manifests)) throw new ImgsealError('MANIFEST_INVALID', `${ref.file}: index.json has no manifests list`);
  const manifests = index.manifests.map((m: unknown, i: number) => parseDescriptor(m, `${ref.file}: index.json manifests[${i}]`));
  return new OciArchiveSource(
    ref,
    tar,
    selectImage(manifests, ref.refName, { where: ref.toString(), container: 'archive', nameHint: 'oci-archive:FILE:REF', refuseDuplicateNames: true }),
  );
}

class OciArchiveSource implements ImageSource {
  readonly reference: ImageReference;
  private readonly tar: TarIndex;
  private readonly top: Descriptor;

  constructor(reference: ImageReference, tar: TarIndex, top: Descriptor) {
    this.reference = reference;
    this.tar = tar;
    this.top = top;
  }

  async getManifest(instance?: Digest): Promise<ManifestBlob> {
    const digest = instance ?? this.top.digest;
    const entry = this.tar.find(blobName(digest));
    if (!entry) throw new ImgsealError('BLOB_NOT_FOUND', `${this.reference.toString()}: manifest ${digest} is not in the archive`);
    const bytes = await this.tar.read(entry, MANIFEST_SIZE_LIMIT);
    // The index entry's type is authoritative for the top level; a child's we read from the bytes.
    const mediaType = instance === undefined ? this.top.mediaType : detectManifestMediaType(bytes);
    return { bytes, mediaType, digest };
  }

  async getBlob(desc: Descriptor, opts?: { signal?: AbortSignal }): Promise<Readable> {
    const entry = this.tar.find(blobName(desc.digest));
    if (!entry) throw new ImgsealError('BLOB_NOT_FOUND', `${this.reference.toString()}: blob ${desc.digest} is not in the archive`);
    return this.tar.open(entry, opts?.signal);
  }

  async close(): Promise<void> {
    // Nothing held open (each read opens its own file handle) but a compressed
    // archive's temporary uncompressed copy.
    await this.tar.close();
  }
}

function blobName(d: Digest): string {
  const { algorithm, hex } = parseDigest(d);
  return `blobs/${algorithm}/${hex}`;
}
