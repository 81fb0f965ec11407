/**
 * Changing a repository's trust data as `docker trust` does: sign, revoke, add and
 * remove signers. Each change re-signs the files it touches (version + 1, new
 * expiry), re-signs the snapshot when the client holds the snapshot key (repositories
 * made by the notary CLI) and publishes them together; the server validates the whole
 * update or stores nothing.
 */
import { ImgsealError } from '../../errors.js';
import { signMetadata, tufExpires } from '../tuf/sign.js';
import { RELEASES_ROLE, roleAllows, type VerifiedRepository, type VerifiedTargets } from '../tuf/index.js';
import { EXPIRY_DAYS } from './initialize.js';
import type { NotaryClient } from './notary-client.js';
import { signableKeyIds, signersFor, type KeyRing } from './signing-keys.js';
import { createHash } from 'node:crypto';

type RawTargets = { targets: Record<string, unknown>; delegations: { keys: Record<string, unknown>; roles: RawRole[] }; version: number; expires: string } & Record<string, unknown>;
export type RawRole = { name: string; keyids: string[]; threshold: number; paths?: string[] };

export class TrustEditor {
  private readonly changed = new Map<string, RawTargets>();

  constructor(
    private readonly client: NotaryClient,
    private readonly ring: KeyRing,
    readonly repo: VerifiedRepository,
    private readonly now: Date,
  ) {}

  /** The raw `signed` of a targets-like role, as it will be re-signed (edits accumulate). */
  raw(role: string): RawTargets {
    const have = this.changed.get(role);
    if (have) return have;
    const t = this.repo.targets.get(role);
    const raw: RawTargets = t
      ? (JSON.parse(t.bytes.toString('utf8')).signed as RawTargets)
      : { _type: 'Targets', delegations: { keys: {}, roles: [] }, expires: '', targets: {}, version: 0 };
    raw.delegations ??= { keys: {}, roles: [] };
    this.changed.set(role, raw);
    return raw;
  }

  /** First-level delegations whose paths allow `name` and whose key is in the trust dir. */
  signableDelegations(name: string): VerifiedTargets['signed']['delegationRoles'] {
    const top = this.repo.targets.get('targets');
    if (!top) return [];
    return top.signed.delegationRoles.filter((r) => roleAllows(r, name) && signableKeyIds(this.ring, r.keyids, top.signed.delegationKeys).length > 0);
  }

  canSignTargets(): boolean {
    return signableKeyIds(this.ring, this.repo.root.signed.roles.targets.keyids, this.repo.root.signed.keys).length > 0;
  }

  /** Adds `tag` → manifest digest and size to every role the user can sign (docker trust sign). Returns the roles. */
  sign(tag: string, digestHex: string, length: number): string[] {
    const entry = { hashes: { sha256: Buffer.from(digestHex, 'hex').toString('base64') }, length };
    const top = this.repo.targets.get('targets');
    const delegations = top?.signed.delegationRoles ?? [];
    let roles: string[];
    if (delegations.length === 0) {
      if (!this.canSignTargets()) throw new ImgsealError('INVALID_KEY', `no key to sign targets of ${this.repo.gun} in the trust directory`);
      roles = ['targets'];
    } else {
      roles = this.signableDelegations(tag).map((r) => r.name);
      if (roles.length === 0) throw new ImgsealError('INVALID_KEY', `no valid signing keys for delegation roles of ${this.repo.gun} (signers: ${delegations.map((d) => d.name.slice(8)).join(', ')})`);
    }
    for (const r of roles) this.raw(r).targets[tag] = entry;
    return roles;
  }

  /** Removes `tag` from every role the user can sign that holds it (docker trust revoke). */
  revoke(tag: string): string[] {
    const roles: string[] = [];
    for (const [role, t] of this.repo.targets) {
      if (!t.signed.targets.has(tag)) continue;
      const canSign = role === 'targets' ? this.canSignTargets() : this.signableDelegations(tag).some((d) => d.name === role);
      if (!canSign) continue;
      delete this.raw(role).targets[tag];
      roles.push(role);
    }
    if (roles.length === 0) throw new ImgsealError('TRUST_TARGET_NOT_FOUND', `no signed tag ${tag} in ${this.repo.gun} that the keys in the trust directory can revoke`);
    return roles;
  }

  /** Adds role targets/NAME with these keys and the same keys to targets/releases (docker trust signer add). */
  addSigner(name: string, keys: ReadonlyArray<{ id: string; keyObject: Record<string, unknown> }>): void {
    if (!/^[a-z0-9][a-z0-9_-]*$/.test(name) || name === 'releases') throw new ImgsealError('INVALID_ARGUMENT', `signer name "${name}" must match ^[a-z0-9][a-z0-9_-]*$ and not be "releases"`);
    const top = this.raw('targets');
    for (const k of keys) top.delegations.keys[k.id] = k.keyObject;
    const ids = keys.map((k) => k.id);
    const upsert = (roleName: string, add: string[]) => {
      const have = top.delegations.roles.find((r) => r.name === roleName);
      if (have) have.keyids = [...new Set([...have.keyids, ...add])];
      else top.delegations.roles.push({ keyids: add, name: roleName, paths: [''], threshold: 1 });
    };
    upsert(`targets/${name}`, ids);
    upsert(RELEASES_ROLE, ids);
  }

  /** Removes targets/NAME and its keys from targets/releases (docker trust signer remove). */
  removeSigner(name: string, opts: { force?: boolean } = {}): void {
    const top = this.raw('targets');
    const role = top.delegations.roles.find((r) => r.name === `targets/${name}`);
    if (!role) throw new ImgsealError('INVALID_ARGUMENT', `no signer ${name} in ${this.repo.gun}`);
    top.delegations.roles = top.delegations.roles.filter((r) => r !== role);
    const releases = top.delegations.roles.find((r) => r.name === RELEASES_ROLE);
    if (releases) {
      const usedElsewhere = new Set(top.delegations.roles.filter((r) => r !== releases).flatMap((r) => r.keyids));
      releases.keyids = releases.keyids.filter((id) => !role.keyids.includes(id) || usedElsewhere.has(id));
      if (releases.keyids.length === 0) {
        if (!opts.force && (this.repo.targets.get(RELEASES_ROLE)?.signed.targets.size ?? 0) > 0) {
          throw new ImgsealError('INVALID_ARGUMENT', `removing ${name} would leave the signed tags of ${this.repo.gun} without a valid signer; pass --force to remove it anyway`);
        }
        top.delegations.roles = top.delegations.roles.filter((r) => r !== releases);
      }
    }
    const used = new Set(top.delegations.roles.flatMap((r) => r.keyids));
    for (const id of Object.keys(top.delegations.keys)) if (!used.has(id)) delete top.delegations.keys[id];
  }

  /** Signs every changed file (and the snapshot when the client holds its key) and publishes them. */
  async publish(): Promise<string[]> {
    const files: [string, Buffer][] = [];
    const top = this.repo.targets.get('targets');
    for (const [role, raw] of this.changed) {
      raw.version = (raw.version ?? 0) + 1;
      raw.expires = tufExpires(this.now, EXPIRY_DAYS.targets);
      const [keyids, keys] =
        role === 'targets'
          ? [this.repo.root.signed.roles.targets.keyids, this.repo.root.signed.keys]
          : [top?.signed.delegationRoles.find((r) => r.name === role)?.keyids ?? [], top?.signed.delegationKeys ?? new Map()];
      const signers = await signersFor(this.ring, keyids, keys, 'repository');
      if (signers.length === 0) throw new ImgsealError('INVALID_KEY', `no key to sign ${role} of ${this.repo.gun} in the trust directory`);
      files.push([role, signMetadata(raw, signers)]);
    }
    const snapshotSigners = await signersFor(this.ring, this.repo.root.signed.roles.snapshot.keyids, this.repo.root.signed.keys, 'repository');
    if (snapshotSigners.length > 0) files.push(['snapshot', this.snapshotOver(files, snapshotSigners)]);
    // Parents first, as the server processes them.
    files.sort(([a], [b]) => (a === 'snapshot' ? 1 : b === 'snapshot' ? -1 : a.split('/').length - b.split('/').length));
    await this.client.publish(this.repo.gun, files);
    return files.map(([r]) => r);
  }

  private snapshotOver(files: [string, Buffer][], signers: Awaited<ReturnType<typeof signersFor>>): Buffer {
    const prev = JSON.parse(this.repo.snapshot.bytes.toString('utf8')).signed as { meta: Record<string, unknown>; version: number } & Record<string, unknown>;
    for (const [role, bytes] of files) {
      prev.meta[role] = { hashes: { sha256: createHash('sha256').update(bytes).digest('base64'), sha512: createHash('sha512').update(bytes).digest('base64') }, length: bytes.length };
    }
    prev.version += 1;
    prev.expires = tufExpires(this.now, EXPIRY_DAYS.snapshot);
    return signMetadata(prev, signers);
  }
}
