/**
 * Presents an image of a `docker save` archive as a Docker schema2 manifest. The archive
 * holds no manifest and no digests, so they are computed by streaming the config and
 * layer files once (constant memory) and kept for the session. Layer blobs are served
 * as the bytes stored in the archive: `…rootfs.diff.tar` when a file is a plain tar,
 * `…diff.tar.gzip` when it starts with the gzip magic. (containers/image instead
 * decompresses and names layers by diff ID; both describe the same image, ours keeps
 * blob bytes and digests in one-to-one correspondence.)
 */
import { MANIFEST_SIZE_LIMIT } from '../../util/limits.js';
import type { Readable } from 'node:stream';
import { ImgsealError } from '../../errors.js';
import type { Descriptor } from '../../model/descriptor.js';
import { Digester, sha256Digest, type Digest } from '../../model/digest.js';
import { MediaType } from '../../model/media-types.js';
import type { ImageReference, ImageSource, ManifestBlob } from '../types.js';
import { chooseManifestItem, parseManifestJson, type ManifestItem } from './docker-manifest-json.js';
import type { NamedTagged } from './docker-name.js';
import { indexTar, type TarEntry, type TarIndex } from './tar-index.js';

type DockerArchiveRef = ImageReference & { file: string; tagged: NamedTagged | undefined; sourceIndex: number | undefined };

export async function openDockerArchiveSource(ref: DockerArchiveRef, signal?: AbortSignal): Promise<ImageSource> {
  const tar = await indexTar(ref.file, signal ? { signal } : {});
  try {
    const mj = tar.find('manifest.json');
    if (!mj) throw new ImgsealError('MANIFEST_INVALID', `${ref.file} is not a docker-archive: no manifest.json`);
    const items = parseManifestJson(await tar.read(mj, MANIFEST_SIZE_LIMIT), ref.toString());
    return new DockerArchiveSource(ref, tar, chooseManifestItem(items, ref.tagged, ref.sourceIndex, ref.toString()));
  } catch (err) {
    await tar.close(); // a compressed archive's temporary copy
    throw err;
  }
}

interface Computed {
  manifest: ManifestBlob;
  /** digest → archive entry, for getBlob. */
  blobs: Map<Digest, TarEntry>;
}

class DockerArchiveSource implements ImageSource {
  readonly reference: ImageReference;
  private readonly tar: TarIndex;
  private readonly item: ManifestItem;
  private computed: Promise<Computed> | undefined;

  constructor(reference: ImageReference, tar: TarIndex, item: ManifestItem) {
    this.reference = reference;
    this.tar = tar;
    this.item = item;
  }

  async getManifest(instance?: Digest): Promise<ManifestBlob> {
    const { manifest } = await this.compute();
    if (instance !== undefined && instance !== manifest.digest) {
      throw new ImgsealError('IMAGE_NOT_FOUND', `${this.reference.toString()}: a docker-archive image has no manifest ${instance}`);
    }
    return manifest;
  }

  async getBlob(desc: Descriptor, opts?: { signal?: AbortSignal }): Promise<Readable> {
    const entry = (await this.compute()).blobs.get(desc.digest);
    if (!entry) throw new ImgsealError('BLOB_NOT_FOUND', `${this.reference.toString()}: blob ${desc.digest} is not part of this image`);
    return this.tar.open(entry, opts?.signal);
  }

  async close(): Promise<void> {
    await this.tar.close(); // a compressed archive's temporary copy
  }

  /** Hashes config and layers once; concurrent callers share the one computation. */
  private compute(): Promise<Computed> {
    this.computed ??= this.computeNow();
    return this.computed;
  }

  private async computeNow(): Promise<Computed> {
    const blobs = new Map<Digest, TarEntry>();
    const configEntry = this.entry(this.item.Config, 'config');
    const config = await this.hashEntry(configEntry);
    blobs.set(config.digest, configEntry);
    const layers: Descriptor[] = [];
    for (const path of this.item.Layers) {
      const entry = this.entry(path, 'layer');
      const h = await this.hashEntry(entry);
      if (h.magic.startsWith('28b52ffd')) {
        throw new ImgsealError('UNSUPPORTED_MEDIA_TYPE', `${this.reference.toString()}: layer ${path} is zstd-compressed, which a Docker schema2 manifest cannot describe`);
      }
      const mediaType = h.magic.startsWith('1f8b') ? MediaType.dockerLayerTarGzip : MediaType.dockerLayerTar;
      layers.push(schema2Descriptor(mediaType, h.size, h.digest));
      blobs.set(h.digest, entry);
    }
    // Field order of containers/image's Schema2 struct, so the digest is the one skopeo would compute.
    const doc = {
      schemaVersion: 2,
      mediaType: MediaType.dockerManifest,
      config: schema2Descriptor(MediaType.dockerConfig, config.size, config.digest),
      layers,
    };
    const bytes = Buffer.from(JSON.stringify(doc));
    return { manifest: { bytes, mediaType: MediaType.dockerManifest, digest: sha256Digest(bytes) }, blobs };
  }

  private entry(path: string, what: string): TarEntry {
    const e = this.tar.find(path);
    if (!e) throw new ImgsealError('BLOB_NOT_FOUND', `${this.reference.toString()}: ${what} file ${path} named in manifest.json is not in the archive`);
    return e;
  }

  private async hashEntry(entry: TarEntry): Promise<{ digest: Digest; size: number; magic: string }> {
    const d = new Digester();
    let head = Buffer.alloc(0);
    for await (const chunk of this.tar.open(entry) as AsyncIterable<Buffer>) {
      if (head.length < 4) head = Buffer.concat([head, chunk.subarray(0, 4 - head.length)]);
      d.update(chunk);
    }
    return { digest: d.digest(), size: d.size, magic: head.toString('hex') };
  }
}

function schema2Descriptor(mediaType: string, size: number, digest: Digest): Descriptor {
  return { mediaType, size, digest } as Descriptor;
}
