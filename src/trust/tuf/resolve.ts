/**
 * What Docker Content Trust makes of verified metadata: a tag resolves through
 * `targets/releases` first, then `targets` (targets only in other delegations are
 * ignored by `docker pull`), and must carry a sha256 hash: that hash is the manifest
 * digest to pull, and the length its size.
 */
import { ImgsealError } from '../../errors.js';
import type { VerifiedRepository } from './verify.js';

export interface TrustedTarget {
  tag: string;
  /** `sha256:<hex>` of the manifest. */
  digest: string;
  length: number;
  /** The role it was found in: `targets/releases` or `targets`. */
  role: string;
}

export const RELEASES_ROLE = 'targets/releases';

export function resolveTrustedTag(repo: VerifiedRepository, tag: string): TrustedTarget {
  for (const role of [RELEASES_ROLE, 'targets']) {
    const t = repo.targets.get(role)?.signed.targets.get(tag);
    if (!t) continue;
    const sha = t.hashes.get('sha256');
    if (!sha || sha.length !== 32) throw new ImgsealError('TRUST_METADATA_INVALID', `the trusted target ${tag} of ${repo.gun} has no sha256 hash`);
    return { tag, digest: `sha256:${sha.toString('hex')}`, length: t.length, role };
  }
  throw new ImgsealError('TRUST_TARGET_NOT_FOUND', `No valid trust data for ${tag}`);
}

/** Every tag DCT would pull (releases and targets; releases wins on a name in both). */
export function trustedTags(repo: VerifiedRepository): TrustedTarget[] {
  const names = new Set<string>();
  for (const role of [RELEASES_ROLE, 'targets']) for (const n of repo.targets.get(role)?.signed.targets.keys() ?? []) names.add(n);
  return [...names].sort().map((n) => resolveTrustedTag(repo, n));
}
