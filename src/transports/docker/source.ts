/**
 * ImageSource over the distribution API: manifests by tag or digest (digest of the
 * exact bytes; checked when the reference or the caller names one), blobs as
 * resumable streams (blob-reader.ts).
 */
import type { Readable } from 'node:stream';
import { ImgsealError } from '../../errors.js';
import type { Descriptor } from '../../model/descriptor.js';
import { digestOf, sha256Digest, type Digest } from '../../model/digest.js';
import { detectManifestMediaType } from '../../model/manifest.js';
import { MediaType } from '../../model/media-types.js';
import type { ImageReference, ImageSource, ManifestBlob, UntrustedSignature } from '../types.js';
import { MANIFEST_SIZE_LIMIT } from '../../util/limits.js';
import type { RegistrySignatures } from './signatures.js';
import { streamToBuffer } from '../../util/streams.js';
import { openBlob } from './blob-reader.js';
import type { RegistryClient } from './client.js';
import { formatDockerName, type ParsedDockerReference } from './reference.js';

/** What we can read, best first (the registry picks; schema1 is not asked for). */
export const MANIFEST_ACCEPT = [MediaType.ociIndex, MediaType.ociManifest, MediaType.dockerManifestList, MediaType.dockerManifest].join(', ');


export class DockerImageSource implements ImageSource {
  constructor(
    readonly reference: ImageReference,
    private readonly ref: ParsedDockerReference,
    private readonly client: RegistryClient,
    private readonly signatures?: RegistrySignatures,
  ) {}

  /** The lookaside store's signatures for `manifestDigest` (registries.d). */
  async getSignatures(manifestDigest: Digest, opts?: { signal?: AbortSignal }): Promise<UntrustedSignature[]> {
    return this.signatures ? this.signatures.read(manifestDigest, opts?.signal) : [];
  }

  async getManifest(instance?: Digest): Promise<ManifestBlob> {
    const want = instance ?? this.ref.digest;
    const tagOrDigest = want ?? this.ref.tag ?? 'latest';
    const name = `${this.ref.domain}/${this.ref.repository}`;
    const what = `reading manifest ${tagOrDigest} in ${name}`;
    const { res, bytes } = await this.client.fetchBytes(
      { method: 'GET', path: `/v2/${this.ref.repository}/manifests/${tagOrDigest}`, headers: { accept: MANIFEST_ACCEPT }, what, expect: [200] },
      MANIFEST_SIZE_LIMIT,
    );
    let digest: Digest;
    if (want) {
      digest = digestOf(bytes, want);
      if (digest !== want) throw new ImgsealError('DIGEST_MISMATCH', `${what}: the registry sent a manifest with digest ${digest}`);
    } else {
      digest = sha256Digest(bytes);
    }
    const contentType = String(res.headers['content-type'] ?? '').split(';')[0]?.trim();
    return { bytes, digest, mediaType: detectManifestMediaType(bytes, contentType || undefined) };
  }

  getBlob(desc: Descriptor, opts?: { signal?: AbortSignal }): Promise<Readable> {
    return openBlob(this.client, desc, opts?.signal);
  }

  /** The same resumable GET as getBlob, gathered (the caller keeps it small). */
  async getBlobBytes(desc: Descriptor, opts?: { signal?: AbortSignal }): Promise<Buffer> {
    return streamToBuffer(await openBlob(this.client, desc, opts?.signal), desc.size);
  }

  async close(): Promise<void> {
    await this.client.close();
  }

  toString(): string {
    return `docker://${formatDockerName(this.ref)}`;
  }
}
