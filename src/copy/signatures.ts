/**
 * Signatures in the copy: what the source stores per manifest digest (read before the
 * destination is opened, for the policy and to carry them along), whether they can
 * travel (the destination must store signatures and the manifest must stay as it is),
 * and what is written per manifest after the manifests and before commit: the source's
 * signatures of an unchanged manifest, plus new ones made for the manifest as written.
 */
import { ImgsealError } from '../errors.js';
import type { Digest } from '../model/digest.js';
import { canStoreSignatures, signaturesOf } from '../transports/capabilities.js';
import type { ImageDestination, ImageReference, ImageSource, ManifestBlob, UntrustedSignature } from '../transports/types.js';
import type { CopyOptions } from './options.js';

export class SignatureLedger {
  /** Source signatures by manifest digest (read once). */
  private readonly source = new Map<Digest, Promise<UntrustedSignature[]>>();
  /** Manifests written at the destination, with the source manifest each came from. */
  private readonly written: { blob: ManifestBlob; from: Digest }[] = [];

  constructor(
    private readonly src: ImageSource,
    private readonly opts: CopyOptions,
  ) {}

  /** The source's signatures of `digest` (cached). */
  sourceSignatures(digest: Digest): Promise<UntrustedSignature[]> {
    let p = this.source.get(digest);
    if (!p) {
      p = signaturesOf(this.src, digest, this.opts.signal ? { signal: this.opts.signal } : {});
      this.source.set(digest, p);
    }
    return p;
  }

  private async carried(digest: Digest): Promise<UntrustedSignature[]> {
    return this.opts.removeSignatures ? [] : this.sourceSignatures(digest);
  }

  /**
   * Fails before any blob moves when the destination cannot store signatures that
   * must be written (the source's, or new ones).
   */
  async checkDestination(dest: ImageDestination, topDigests: Digest[]): Promise<void> {
    if (canStoreSignatures(dest)) {
      if (!dest.checkSignatureKinds) return;
      const kinds = new Set((this.opts.sign?.signers ?? []).map((s) => s.kind ?? 'simple-signing'));
      for (const d of topDigests) for (const s of await this.carried(d)) kinds.add(s.kind);
      await dest.checkSignatureKinds([...kinds]);
      return;
    }
    if (this.opts.sign?.signers.length) {
      throw new ImgsealError('SIGNATURES_NOT_SUPPORTED', `Can not sign ${dest.reference.toString()}: this destination cannot store signatures`);
    }
    for (const d of topDigests) {
      if ((await this.carried(d)).length > 0) {
        throw new ImgsealError(
          'SIGNATURES_NOT_SUPPORTED',
          `Can not copy signatures to ${dest.reference.toString()}: this destination cannot store signatures (use --remove-signatures to copy without them)`,
        );
      }
    }
  }

  /** Fails when the copy changes a manifest whose signatures were to be copied (before its blobs move). */
  async checkUnchanged(source: Digest, why: string, dest: ImageReference): Promise<void> {
    if ((await this.carried(source)).length > 0) {
      throw new ImgsealError(
        'SIGNATURES_NOT_SUPPORTED',
        `Can not copy signatures to ${dest.toString()}: ${why} changes the manifest, which would invalidate the source's signatures (use --remove-signatures)`,
      );
    }
  }

  /** Records a manifest written at the destination. */
  wrote(blob: ManifestBlob, from: Digest): void {
    this.written.push({ blob, from });
  }

  /** Writes the signatures of every written manifest; call after the last putManifest, before commit. */
  async store(dest: ImageDestination, identity: string | undefined): Promise<void> {
    const signers = this.opts.sign?.signers ?? [];
    if (signers.length > 0 && !identity) {
      throw new ImgsealError('INVALID_ARGUMENT', `Can not sign ${dest.reference.toString()}: it has no docker reference to sign as; give --sign-identity`);
    }
    for (const { blob, from } of this.written) {
      const sigs = blob.digest === from ? [...(await this.carried(from))] : [];
      for (const s of signers) sigs.push(await s.sign(blob, identity as string));
      if (sigs.length === 0) continue;
      if (!dest.putSignatures) throw new ImgsealError('INTERNAL', `${dest.reference.toString()}: signatures to store, but no signature storage`);
      await dest.putSignatures(blob.digest, sigs, this.opts.signal ? { signal: this.opts.signal } : {});
    }
  }
}
