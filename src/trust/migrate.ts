/**
 * Leaving Docker Content Trust (no anchor has this): for each tag the trust data signs,
 * verify it through Notary one last time, check that the registry still serves exactly
 * that digest (by digest, with the size the trust data records), and sign exactly that
 * digest in the formats that stay (simple signing in the lookaside store registries.d names,
 * and/or a sigstore signature as a `.sig` attachment), next to the signatures already there. The report records what was verified and what was signed.
 */
import { ImgsealError, isImgsealError } from '../errors.js';
import type { ManifestSigner } from '../copy/options.js';
import type { SystemContext } from '../transports/context.js';
import { DockerReference } from '../transports/docker/index.js';
import type { Digest } from '../model/digest.js';
import { gunOf, trustInspect, type TrustOptions } from './content-trust.js';
import { resolveTrustedImage } from './content-trust.js';

export interface MigratedTag {
  tag: string;
  digest: string;
  size: number;
  /** The role the trust data signs it in (`targets/releases` or `targets`), and its signers. */
  trustedIn: string;
  signers: string[];
  /** What was signed, e.g. `simple signing with key BC83…`; empty when the tag failed. */
  signedWith: string[];
  error?: string;
}

export interface MigrationReport {
  repository: string;
  trustServer: string;
  verifiedAt: string;
  tags: MigratedTag[];
  /** True when every tag was verified and signed. */
  complete: boolean;
}

export interface MigrateOptions extends TrustOptions {
  /** Registry access and where signatures are stored (registries.d). */
  context?: SystemContext;
  signers: ManifestSigner[];
}

export async function trustMigrate(ref: DockerReference, tags: readonly string[] | undefined, o: MigrateOptions): Promise<MigrationReport> {
  if (o.signers.length === 0) throw new ImgsealError('INVALID_ARGUMENT', 'trust migrate needs a signing key: --sign-by FINGERPRINT, --sign-by-key-file FILE or --sign-by-sigstore-private-key FILE');
  const gun = gunOf(ref);
  const { trustServerFor } = await import('./content-trust.js');
  const now = o.now?.() ?? new Date();
  const inspection = await trustInspect(new DockerReference({ domain: ref.parsed.domain, repository: ref.parsed.repository }), o);
  const wanted = tags?.length ? [...tags] : inspection.SignedTags.map((t) => t.SignedTag);
  if (wanted.length === 0) throw new ImgsealError('TRUST_TARGET_NOT_FOUND', `no signed tags in ${gun}: nothing to migrate`);
  const report: MigrationReport = { repository: gun, trustServer: trustServerFor(ref, o), verifiedAt: now.toISOString(), tags: [], complete: true };
  for (const tag of wanted) {
    const entry: MigratedTag = { tag, digest: '', size: 0, trustedIn: '', signers: inspection.SignedTags.find((t) => t.SignedTag === tag)?.Signers ?? [], signedWith: [] };
    report.tags.push(entry);
    try {
      const target = await resolveTrustedImage(new DockerReference({ domain: ref.parsed.domain, repository: ref.parsed.repository, tag }), o);
      Object.assign(entry, { digest: target.digest, size: target.length, trustedIn: target.role });
      await signExactDigest(ref, tag, target.digest as Digest, target.length, o, entry);
    } catch (err) {
      if (!isImgsealError(err)) throw err;
      entry.error = err.message;
      report.complete = false;
    }
  }
  return report;
}

async function signExactDigest(ref: DockerReference, tag: string, digest: Digest, size: number, o: MigrateOptions, entry: MigratedTag): Promise<void> {
  const byDigest = new DockerReference({ domain: ref.parsed.domain, repository: ref.parsed.repository, digest });
  const ctx = o.context ?? {};
  const src = await byDigest.newImageSource(ctx);
  let manifest;
  let existing;
  try {
    manifest = await src.getManifest(); // by digest: verified against it
    if (manifest.bytes.length !== size) throw new ImgsealError('TRUST_HASH_MISMATCH', `${tag}: the registry's manifest ${digest} is ${manifest.bytes.length} bytes, the trust data says ${size}`);
    existing = (await src.getSignatures?.(digest)) ?? [];
  } finally {
    await src.close();
  }
  const identity = `${gunOf(ref)}:${tag}`;
  const made = [];
  for (const s of o.signers) made.push(await s.sign(manifest, identity));
  // A destination named by digest: storing signatures moves no tag.
  const dest = await byDigest.newImageDestination(ctx);
  try {
    if (!dest.putSignatures) throw new ImgsealError('SIGNATURES_NOT_SUPPORTED', `${byDigest.toString()} cannot store signatures`);
    await dest.putManifest(manifest, { topLevel: true });
    await dest.putSignatures(digest, [...existing, ...made]);
    await dest.commit();
  } finally {
    await dest.close();
  }
  entry.signedWith = o.signers.map((s) => s.description);
}
