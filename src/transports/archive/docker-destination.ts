/**
 * Writes a `docker save` archive that `docker load` and skopeo read, laid out as
 * containers/image's tarfile.Writer does: layers as `<digest hex>.tar` at the root (the
 * blob bytes as given; docker load and skopeo detect compression themselves), the config
 * as `<hex>.json`, legacy per-layer folders, manifest.json and repositories.
 *
 * What it accepts (the pipeline learns this from supportedManifestMediaTypes):
 * - Docker schema2 manifests: stored.
 * - OCI manifests with plain (tar / tar+gzip) layers: stored too. The archive records no
 *   media types at all, so nothing is converted; the information lost (annotations)
 *   is what containers/image's OCI → schema2 conversion loses as well.
 * - Encrypted or zstd layers, and indexes: refused, as the format cannot express them
 *   (containers/image: "… which does not support encryption").
 */
import type { Readable } from 'node:stream';
import { readFile } from 'node:fs/promises';
import { ImgsealError } from '../../errors.js';
import type { Descriptor } from '../../model/descriptor.js';
import { digestOf, parseDigest, type Digest } from '../../model/digest.js';
import { isEncryptedMediaType, layerCompression, MediaType } from '../../model/media-types.js';
import { parseManifest, type ImageManifest } from '../../model/manifest.js';
import type { ImageDestination, ImageReference, ManifestBlob, PutBlobInfo, PutBlobResult } from '../types.js';
import { formatNamedTagged, type NamedTagged } from './docker-name.js';
import { legacyMetadata } from './docker-legacy.js';
import { BlobStage } from './staging.js';
import type { TarInput } from './tar-write.js';

const MAX_CONFIG_BYTES = 16 << 20;

export class DockerArchiveDestination implements ImageDestination {
  readonly reference: ImageReference;
  readonly supportedManifestMediaTypes = [MediaType.dockerManifest] as const;
  readonly maxParallelBlobs = 4;
  private readonly stage: BlobStage;
  private readonly tagged: NamedTagged | undefined;
  private manifest: ImageManifest | undefined;

  private constructor(reference: ImageReference, stage: BlobStage, tagged: NamedTagged | undefined) {
    this.reference = reference;
    this.stage = stage;
    this.tagged = tagged;
  }

  static async open(ref: ImageReference & { file: string; tagged: NamedTagged | undefined }): Promise<DockerArchiveDestination> {
    return new DockerArchiveDestination(ref, await BlobStage.create(ref.file), ref.tagged);
  }

  async tryReuseBlob(desc: Descriptor): Promise<boolean> {
    return this.stage.has(desc.digest);
  }

  async putBlob(stream: Readable, info: PutBlobInfo, opts?: { signal?: AbortSignal }): Promise<PutBlobResult> {
    if (isEncryptedMediaType(info.mediaType)) {
      stream.destroy();
      throw unsupported(this.reference, `docker-archive does not support encryption (blob of type ${info.mediaType})`);
    }
    return this.stage.putBlob(stream, info, opts?.signal);
  }

  async putManifest(blob: ManifestBlob, opts: { topLevel: boolean }): Promise<void> {
    if (digestOf(blob.bytes, blob.digest) !== blob.digest) {
      throw new ImgsealError('DIGEST_MISMATCH', `${this.reference.toString()}: manifest bytes do not hash to ${blob.digest}`);
    }
    const parsed = parseManifest(blob.bytes, blob.mediaType);
    if (parsed.kind === 'index' || !opts.topLevel) {
      throw unsupported(this.reference, 'docker-archive holds single images, not indexes or manifest lists; choose one image (platform)');
    }
    const m = parsed.manifest;
    if (m.config.mediaType !== MediaType.dockerConfig && m.config.mediaType !== MediaType.ociConfig) {
      throw unsupported(this.reference, `docker-archive cannot store an artifact with config type ${m.config.mediaType}`);
    }
    for (const l of m.layers) {
      if (isEncryptedMediaType(l.mediaType)) throw unsupported(this.reference, `docker-archive does not support encryption (layer ${l.digest})`);
      const c = layerCompression(l.mediaType);
      if (c !== 'none' && c !== 'gzip') throw unsupported(this.reference, `docker-archive cannot store layer ${l.digest} of type ${l.mediaType}`);
    }
    this.manifest = m;
  }

  async commit(): Promise<void> {
    const m = this.manifest;
    if (!m) throw new ImgsealError('INTERNAL', `${this.reference.toString()}: commit before the manifest was written`);
    for (const d of [m.config, ...m.layers]) {
      if (!this.stage.has(d.digest)) throw new ImgsealError('BLOB_NOT_FOUND', `${this.reference.toString()}: ${d.digest} was never written, cannot commit`);
    }
    const layerPath = (d: Digest) => `${parseDigest(d).hex}.tar`;
    const configPath = `${parseDigest(m.config.digest).hex}.json`;
    const configBytes = await readFile(this.stage.blobPath(m.config.digest));
    if (configBytes.length > MAX_CONFIG_BYTES) throw new ImgsealError('MANIFEST_INVALID', `image config is larger than ${MAX_CONFIG_BYTES} bytes`);

    const entries: TarInput[] = [];
    const written = new Set<Digest>();
    for (const l of m.layers) {
      if (written.has(l.digest)) continue; // an image may repeat a layer; the file is stored once
      written.add(l.digest);
      entries.push({ name: layerPath(l.digest), type: 'file', path: this.stage.blobPath(l.digest), mode: 0o444 });
    }
    entries.push({ name: configPath, type: 'file', bytes: configBytes, mode: 0o444 });
    const legacy = legacyMetadata(
      m.layers.map((l) => l.digest),
      configBytes,
      layerPath,
    );
    entries.push(...legacy.entries);

    const repoTags = this.tagged ? [formatNamedTagged(this.tagged)] : [];
    const manifestJson = [{ Config: configPath, RepoTags: repoTags, Layers: m.layers.map((l) => layerPath(l.digest)) }];
    const repositories = this.tagged && legacy.topLayerId !== '' ? { [this.tagged.name]: { [this.tagged.tag]: legacy.topLayerId } } : {};
    entries.push({ name: 'manifest.json', type: 'file', bytes: Buffer.from(JSON.stringify(manifestJson)), mode: 0o444 });
    entries.push({ name: 'repositories', type: 'file', bytes: Buffer.from(JSON.stringify(repositories)), mode: 0o444 });
    await this.stage.commitArchive(entries);
  }

  async close(): Promise<void> {
    await this.stage.remove();
  }
}

function unsupported(ref: ImageReference, message: string): ImgsealError {
  return new ImgsealError('DESTINATION_UNSUPPORTED', `${ref.toString()}: ${message}`);
}
