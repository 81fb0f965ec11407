/**
 * ImageDestination over the distribution API. Blobs are committed one by one
 * (upload.ts never commits a broken stream); every manifest is pushed by digest, and
 * the tag is set in commit(), after the signatures are stored, so the name never
 * points at an image before everything it refers to (blobs, manifests, signatures)
 * exists. An untagged manifest by digest is invisible to anyone who does not know the
 * digest; distribution also refuses a manifest whose blobs are missing.
 */
import type { Readable } from 'node:stream';
import { ImgsealError } from '../../errors.js';
import type { Descriptor } from '../../model/descriptor.js';
import type { Digest } from '../../model/digest.js';
import type { ImageDestination, ImageReference, ManifestBlob, PutBlobInfo, PutBlobResult, UntrustedSignature } from '../types.js';
import type { RegistrySignatures } from './signatures.js';
import type { SigstoreAttachments } from './sigstore-attachments.js';
import { discard, readText } from '../../http/index.js';
import type { RegistryClient } from './client.js';
import type { ParsedDockerReference } from './reference.js';
import { DockerReference } from './index.js';
import { BlobUploader, MONOLITHIC_MAX } from './upload.js';

export const DEFAULT_PARALLEL_BLOBS = 6;

export class DockerImageDestination implements ImageDestination {
  readonly supportedManifestMediaTypes = undefined;
  readonly maxParallelBlobs = DEFAULT_PARALLEL_BLOBS;
  private readonly uploader: BlobUploader;
  private readonly mountSources: string[] = [];
  /** Blobs this destination has uploaded or found (answers tryReuseBlob without a request). */
  private readonly present = new Set<Digest>();
  private newRepository: Promise<boolean> | undefined;
  /** The manifest commit() tags. */
  private topLevel: ManifestBlob | undefined;
  /** `.sig` manifests staged by putSignatures, tagged in commit() (by signed manifest digest). */
  private readonly attachmentsToTag = new Map<Digest, ManifestBlob>();

  constructor(
    readonly reference: ImageReference,
    private readonly ref: ParsedDockerReference,
    private readonly client: RegistryClient,
    private readonly signatures?: RegistrySignatures,
  ) {
    this.uploader = new BlobUploader(client);
  }

  /**
   * Simple signatures go to the lookaside staging store (registries.d) at once. Sigstore
   * signatures become a `.sig` attachment (registries.d use-sigstore-attachments): its
   * blobs are uploaded here, merged with an attachment already in the registry, and the
   * `.sig` tag is set in commit(), just before the image's tag.
   */
  async putSignatures(manifestDigest: Digest, signatures: UntrustedSignature[], opts?: { signal?: AbortSignal }): Promise<void> {
    if (!this.signatures) throw new ImgsealError('INTERNAL', `${this.reference.toString()}: no signature storage`);
    const sigstore = signatures.filter((s): s is Extract<UntrustedSignature, { kind: 'sigstore' }> => s.kind === 'sigstore');
    if (sigstore.length > 0) await this.signatures.requireAttachmentsEnabled(this.reference.toString());
    await this.signatures.writeSimple(manifestDigest, signatures);
    if (sigstore.length === 0) return;
    const attachments = this.signatures.attachments as SigstoreAttachments;
    const staged = await attachments.stage(manifestDigest, sigstore, (bytes, info) => this.putBlobBytes(bytes, info, opts), opts?.signal);
    if (staged) this.attachmentsToTag.set(manifestDigest, staged);
  }

  /** Fails before anything is written when signatures of a kind cannot be stored here. */
  async checkSignatureKinds(kinds: readonly UntrustedSignature['kind'][]): Promise<void> {
    if (kinds.includes('sigstore')) await this.signatures?.requireAttachmentsEnabled(this.reference.toString());
  }

  /** A copy from another repository on the same registry mounts blobs instead of copying them. */
  acceptBlobsFrom(source: ImageReference): void {
    if (source instanceof DockerReference) this.addMountSource(source.parsed.domain, source.parsed.repository);
  }

  /**
   * Blobs can be mounted from `repository` on this registry instead of copied (needs
   * pull scope on it, which is added to the token request).
   */
  addMountSource(domain: string, repository: string): void {
    if (domain !== this.ref.domain || repository === this.ref.repository || this.mountSources.includes(repository)) return;
    this.mountSources.push(repository);
    this.client.addScope(`repository:${repository}:pull`);
  }

  /**
   * Whether the repository does not exist yet, asked once (one tags/list). A repository
   * that does not exist holds no blobs, so a push to a new name — what CI usually does —
   * need not HEAD every blob first: for an image of many small layers that is a third
   * of the requests. Only distribution's explicit NAME_UNKNOWN counts as new; any other
   * answer (or none) means asking per blob, as before. Should another client create the
   * repository meanwhile, the worst case is uploading a blob it already has.
   */
  private isNewRepository(): Promise<boolean> {
    this.newRepository ??= (async () => {
      try {
        const res = await this.client.request({
          method: 'GET',
          path: `/v2/${this.ref.repository}/tags/list?n=1`,
          what: `checking whether ${this.ref.domain}/${this.ref.repository} exists`,
          expect: [200, 404],
        });
        if (res.statusCode !== 404) {
          await discard(res.body);
          return false;
        }
        return /"NAME_UNKNOWN"/.test(await readText(res.body));
      } catch {
        return false;
      }
    })();
    return this.newRepository;
  }

  async tryReuseBlob(desc: Descriptor): Promise<boolean> {
    if (this.present.has(desc.digest)) return true;
    if (desc.size <= MONOLITHIC_MAX) this.uploader.prepare(desc.digest);
    if (!(await this.isNewRepository())) {
      const res = await this.client.request({
        method: 'HEAD',
        path: `/v2/${this.ref.repository}/blobs/${desc.digest}`,
        what: `checking blob ${desc.digest} in ${this.ref.domain}/${this.ref.repository}`,
        expect: [200, 404],
      });
      await discard(res.body);
      if (res.statusCode === 200) {
        this.uploader.discardPrepared(desc.digest);
        this.present.add(desc.digest);
        return true;
      }
    }
    for (const from of this.mountSources) {
      try {
        if (await this.uploader.mount(desc.digest, from)) {
          this.uploader.discardPrepared(desc.digest);
          this.present.add(desc.digest);
          return true;
        }
      } catch {
        // a failed mount only means we upload the blob
      }
    }
    return false;
  }

  async putBlob(stream: Readable, info: PutBlobInfo, opts?: { signal?: AbortSignal }): Promise<PutBlobResult> {
    return this.uploaded(await this.uploader.put(stream, info, opts?.signal));
  }

  async putBlobBytes(bytes: Buffer, info: PutBlobInfo, opts?: { signal?: AbortSignal }): Promise<PutBlobResult> {
    return this.uploaded(await this.uploader.putBytes(bytes, info, opts?.signal));
  }

  private uploaded(res: PutBlobResult): PutBlobResult {
    this.present.add(res.digest);
    return res;
  }

  async putManifest(blob: ManifestBlob, opts: { topLevel: boolean }): Promise<void> {
    if (opts.topLevel && this.ref.digest && this.ref.digest !== blob.digest) {
      throw new ImgsealError(
        'DIGEST_MISMATCH',
        `writing manifest to ${this.reference.toString()}: the manifest has digest ${blob.digest}, the reference names ${this.ref.digest}`,
      );
    }
    await this.pushManifest(blob, blob.digest);
    if (opts.topLevel) this.topLevel = blob;
  }

  private async pushManifest(blob: ManifestBlob, target: string): Promise<void> {
    const res = await this.client.request({
      method: 'PUT',
      path: `/v2/${this.ref.repository}/manifests/${target}`,
      headers: { 'content-type': blob.mediaType },
      body: blob.bytes,
      what: `writing manifest ${target} to ${this.ref.domain}/${this.ref.repository}`,
      expect: [200, 201, 202, 204],
    });
    await discard(res.body);
    const echoed = res.headers['docker-content-digest'];
    if (typeof echoed === 'string' && echoed.startsWith('sha256:') && blob.digest.startsWith('sha256:') && echoed !== blob.digest) {
      throw new ImgsealError('DIGEST_MISMATCH', `writing manifest ${target}: the registry stored digest ${echoed}, we sent ${blob.digest}`);
    }
  }

  /**
   * Sets the `.sig` tags first, then the image's tag: whoever pulls the new tag finds its
   * signatures. Should the image's tag then fail, a `.sig` tag names a digest that no tag
   * of ours points at (readers only look it up by that digest), and the old tag still
   * names the old image. A reference by digest needs no tag: the push made it visible.
   */
  async commit(): Promise<void> {
    const top = this.topLevel;
    if (!top) throw new ImgsealError('INTERNAL', `committing ${this.reference.toString()}: no top-level manifest was written`);
    const attachments = this.signatures?.attachments;
    for (const [digest, manifest] of this.attachmentsToTag) await attachments?.tag(digest, manifest);
    if (!this.ref.digest) await this.pushManifest(top, this.ref.tag ?? 'latest');
  }

  async close(): Promise<void> {
    await this.uploader.discardAllPrepared();
    await this.client.close();
  }
}
