/**
 * Simple signatures of registry images, kept in the lookaside store registries.d names
 * (src/signature/registries-d.ts, lookaside.ts). Sigstore attachments (`.sig` tags)
 * are read only where registries.d enables them; they are not written yet.
 */
import type { Digest } from '../../model/digest.js';
import { readLookaside, writeLookaside } from '../../signature/lookaside.js';
import { loadRegistriesDir, signatureStorageFor, type SignatureStorage } from '../../signature/registries-d.js';
import type { SystemContext } from '../context.js';
import type { UntrustedSignature } from '../types.js';
import { formatDockerName, type ParsedDockerReference } from './reference.js';

export class RegistrySignatures {
  private storage: Promise<SignatureStorage> | undefined;

  constructor(
    private readonly ref: ParsedDockerReference,
    private readonly ctx: SystemContext,
  ) {}

  private where(): Promise<SignatureStorage> {
    this.storage ??= loadRegistriesDir({ ...(this.ctx.registriesDir ? { dir: this.ctx.registriesDir } : {}), ...(this.ctx.env ? { env: this.ctx.env } : {}), ...(this.ctx.systemRoot ? { systemRoot: this.ctx.systemRoot } : {}) }).then((cfg) =>
      signatureStorageFor(cfg, formatDockerName(this.ref), this.ctx.env),
    );
    return this.storage;
  }

  async read(digest: Digest, signal?: AbortSignal): Promise<UntrustedSignature[]> {
    const s = await this.where();
    return readLookaside(s.readUrl, this.ref.repository, digest, this.ctx, signal);
  }

  async write(digest: Digest, signatures: UntrustedSignature[]): Promise<void> {
    const s = await this.where();
    await writeLookaside(s.writeUrl, this.ref.repository, digest, signatures.filter((x) => x.kind === 'simple-signing'));
  }
}
