/**
 * Signatures of registry images, where registries.d says they are
 * (src/signature/registries-d.ts): simple signatures in the lookaside store, and —
 * where `use-sigstore-attachments` is on for the scope — sigstore signatures as `.sig`
 * attachments in the registry (sigstore-attachments.ts). Reading returns the lookaside
 * ones first, then the attachments, as containers/image does.
 */
import { ImgsealError } from '../../errors.js';
import type { Digest } from '../../model/digest.js';
import { readLookaside, writeLookaside } from '../../signature/lookaside.js';
import { loadRegistriesDir, signatureStorageFor, type SignatureStorage } from '../../signature/registries-d.js';
import type { SystemContext } from '../context.js';
import type { UntrustedSignature } from '../types.js';
import type { RegistryClient } from './client.js';
import { formatDockerName, type ParsedDockerReference } from './reference.js';
import { SigstoreAttachments } from './sigstore-attachments.js';

export class RegistrySignatures {
  private storage: Promise<SignatureStorage> | undefined;
  readonly attachments: SigstoreAttachments | undefined;

  constructor(
    private readonly ref: ParsedDockerReference,
    private readonly ctx: SystemContext,
    client?: RegistryClient,
  ) {
    this.attachments = client ? new SigstoreAttachments(ref, client) : undefined;
  }

  where(): Promise<SignatureStorage> {
    this.storage ??= loadRegistriesDir({ ...(this.ctx.registriesDir ? { dir: this.ctx.registriesDir } : {}), ...(this.ctx.env ? { env: this.ctx.env } : {}), ...(this.ctx.systemRoot ? { systemRoot: this.ctx.systemRoot } : {}) }).then((cfg) =>
      signatureStorageFor(cfg, formatDockerName(this.ref), this.ctx.env),
    );
    return this.storage;
  }

  async read(digest: Digest, signal?: AbortSignal): Promise<UntrustedSignature[]> {
    const s = await this.where();
    const out = await readLookaside(s.readUrl, this.ref.repository, digest, this.ctx, signal);
    if (s.useSigstoreAttachments && this.attachments) out.push(...(await this.attachments.read(digest, signal)));
    return out;
  }

  /** Simple signatures into the lookaside staging store (written at once; the store has no staging of its own). */
  async writeSimple(digest: Digest, signatures: UntrustedSignature[]): Promise<void> {
    const simple = signatures.filter((x) => x.kind === 'simple-signing');
    if (simple.length === 0) return;
    const s = await this.where();
    await writeLookaside(s.writeUrl, this.ref.repository, digest, simple);
  }

  /** Fails unless registries.d lets sigstore attachments be written for this image. */
  async requireAttachmentsEnabled(destination: string): Promise<void> {
    if (!(await this.where()).useSigstoreAttachments || !this.attachments) {
      throw new ImgsealError(
        'SIGNATURES_NOT_SUPPORTED',
        `Can not store sigstore signatures at ${destination}: writing sigstore attachments is disabled by configuration (set use-sigstore-attachments: true for this registry or repository in registries.d, or use --remove-signatures)`,
      );
    }
  }
}
