/**
 * `docker trust inspect` from verified metadata, pure: the same JSON and the same
 * `--pretty` tables docker prints, so scripts written for docker read ours.
 * - signed tags: targets in `targets/releases` or `targets`; their signers are the
 *   other delegations holding the same name and sha256 (docker's "released" rule);
 * - signers: every delegation but `targets/releases`, with its key IDs;
 * - administrative keys: root.json's IDs of the root and targets roles.
 */
import type { VerifiedRepository } from './tuf/index.js';
import { RELEASES_ROLE } from './tuf/index.js';

export interface TrustInspection {
  Name: string;
  SignedTags: { SignedTag: string; Digest: string; Signers: string[] }[];
  Signers: { Name: string; Keys: { ID: string }[] }[];
  AdministrativeKeys: { Name: 'Root' | 'Repository'; Keys: { ID: string }[] }[];
}

const isReleased = (role: string) => role === 'targets' || role === RELEASES_ROLE;

export function inspectTrust(repo: VerifiedRepository, name: string, tag?: string): TrustInspection {
  const released = new Map<string, { tag: string; digest: string; signers: string[] }>();
  for (const [role, t] of repo.targets) {
    if (!isReleased(role)) continue;
    for (const [n, m] of t.signed.targets) {
      const digest = m.hashes.get('sha256')?.toString('hex');
      if (digest && (tag === undefined || n === tag)) released.set(`${n}\0${digest}`, { tag: n, digest, signers: [] });
    }
  }
  for (const [role, t] of repo.targets) {
    if (isReleased(role)) continue;
    for (const [n, m] of t.signed.targets) released.get(`${n}\0${m.hashes.get('sha256')?.toString('hex')}`)?.signers.push(role.slice('targets/'.length));
  }
  const signers = new Map<string, string[]>();
  for (const t of repo.targets.values()) {
    for (const r of t.signed.delegationRoles) if (r.name !== RELEASES_ROLE) signers.set(r.name.slice('targets/'.length), [...r.keyids]);
  }
  const roles = repo.root.signed.roles;
  return {
    Name: name,
    SignedTags: [...released.values()].sort((a, b) => naturalLess(a.tag, b.tag)).map((r) => ({ SignedTag: r.tag, Digest: r.digest, Signers: r.signers.sort() })),
    Signers: [...signers].sort(([a], [b]) => a.localeCompare(b)).map(([n, ids]) => ({ Name: n, Keys: ids.map((ID) => ({ ID })) })),
    AdministrativeKeys: [
      { Name: 'Root', Keys: roles.root.keyids.map((ID) => ({ ID })) },
      { Name: 'Repository', Keys: roles.targets.keyids.map((ID) => ({ ID })) },
    ],
  };
}

/** docker's sortorder.NaturalLess: digit runs compare as numbers. */
function naturalLess(a: string, b: string): number {
  return a.localeCompare(b, 'en', { numeric: true });
}

/** The `--pretty` text, laid out as docker's tabwriter (min width 10, padding 3). */
export function formatTrustPretty(i: TrustInspection, gun: string): string {
  const out: string[] = [];
  if (i.SignedTags.length === 0) {
    out.push('', `No signatures for ${gun}`, '');
  } else {
    out.push('', `Signatures for ${gun}`, '');
    out.push(...table([['SIGNED TAG', 'DIGEST', 'SIGNERS'], ...i.SignedTags.map((t) => [t.SignedTag, t.Digest, t.Signers.length ? t.Signers.join(', ') : '(Repo Admin)'])]), '');
  }
  if (i.Signers.length > 0) {
    out.push(`List of signers and their keys for ${gun}`, '');
    out.push(...table([['SIGNER', 'KEYS'], ...i.Signers.map((s) => [s.Name, s.Keys.map((k) => k.ID.slice(0, 12)).join(', ')])]), '');
  } else {
    out.push(`No signers for ${gun}`, '');
  }
  const ids = (n: 'Root' | 'Repository') => i.AdministrativeKeys.find((k) => k.Name === n)?.Keys.map((k) => k.ID).join(', ') ?? '';
  out.push(`Administrative keys for ${gun}`, '', `  Repository Key:\t${ids('Repository')}`, `  Root Key:\t${ids('Root')}`);
  return out.join('\n') + '\n';
}

function table(rows: string[][]): string[] {
  const cols = Math.max(...rows.map((r) => r.length));
  const widths = Array.from({ length: cols - 1 }, (_, c) => Math.max(10, ...rows.map((r) => (r[c] ?? '').length + 3)));
  return rows.map((r) => r.map((cell, c) => (c < cols - 1 ? cell.padEnd(widths[c] as number) : cell)).join(''));
}
