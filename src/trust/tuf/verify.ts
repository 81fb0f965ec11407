/**
 * Pure TUF verification for Notary v1: metadata bytes, the trusted root and a clock in,
 * verified metadata (or a typed error) out. Fetching lives in the Notary client; this
 * module never does I/O, so every attack is testable with plain data.
 *
 * Order of trust: root (rotated one version at a time, each new root signed by the old
 * and by itself) → timestamp (server key from root; not expired; no rollback) →
 * snapshot (hash and length from timestamp) → targets and delegations (hash and length
 * from snapshot; keys from root or the delegating role; paths within the parent's).
 */
import { createHash } from 'node:crypto';
import { ImgsealError } from '../../errors.js';
import { parseRoot, parseSnapshot, parseTargets, parseTimestamp, type DelegatedRole, type FileMeta, type RootSigned, type SnapshotSigned, type TargetsSigned, type TimestampSigned, type UntrustedFile } from './metadata.js';
import { verifyRoleSignatures, type RoleKeys } from './signatures.js';
import type { TufPublicKey } from './keys.js';

export interface Verified<T> {
  readonly bytes: Buffer;
  readonly signed: T;
}

export interface VerifiedTargets extends Verified<TargetsSigned> {
  readonly role: string;
  /** The delegation roles on the way from `targets` to this one (empty for `targets`). */
  readonly chain: readonly DelegatedRole[];
}

/** Versions seen before, for rollback protection (from the local trust cache). */
export interface SeenVersions {
  root?: number;
  timestamp?: number;
  snapshot?: number;
  targets?: Record<string, number>;
}

export interface VerifiedRepository {
  readonly gun: string;
  readonly root: Verified<RootSigned>;
  readonly timestamp: Verified<TimestampSigned>;
  readonly snapshot: Verified<SnapshotSigned>;
  /** `targets` and every delegation that was given and verified, by role name. */
  readonly targets: ReadonlyMap<string, VerifiedTargets>;
}

function fail(code: 'TRUST_SIGNATURE_INVALID' | 'TRUST_EXPIRED' | 'TRUST_ROLLBACK' | 'TRUST_HASH_MISMATCH' | 'TRUST_ROOT_UNTRUSTED' | 'TRUST_SCOPE_VIOLATION' | 'TRUST_METADATA_INVALID', message: string): never {
  throw new ImgsealError(code, message);
}

function checkExpiry(what: string, expires: Date, now: Date): void {
  if (expires.getTime() <= now.getTime()) fail('TRUST_EXPIRED', `${what} expired at ${expires.toISOString()}`);
}

function checkVersion(what: string, version: number, seen: number | undefined): void {
  if (seen !== undefined && version < seen) fail('TRUST_ROLLBACK', `${what} version ${version} is older than version ${seen} seen before (rollback)`);
}

/** The exact bytes must match the hashes and length the parent lists. */
export function checkFileMeta(what: string, bytes: Buffer, meta: FileMeta | undefined): void {
  if (!meta) fail('TRUST_METADATA_INVALID', `${what} is not listed by its parent metadata`);
  if (bytes.length !== meta.length) fail('TRUST_HASH_MISMATCH', `${what} is ${bytes.length} bytes, its parent metadata says ${meta.length}`);
  let checked = 0;
  for (const alg of ['sha256', 'sha512'] as const) {
    const want = meta.hashes.get(alg);
    if (!want) continue;
    if (!createHash(alg).update(bytes).digest().equals(want)) fail('TRUST_HASH_MISMATCH', `${what} does not match its ${alg} hash in the parent metadata`);
    checked++;
  }
  if (checked === 0) fail('TRUST_METADATA_INVALID', `${what}: its parent metadata lists no sha256 or sha512 hash`);
}

/** Root keys count only with a certificate for this GUN that is valid now (notary's ValidateRoot). */
function usableRootKeys(root: RootSigned, gun: string, now: Date): Map<string, TufPublicKey> {
  const out = new Map<string, TufPublicKey>();
  for (const id of root.roles.root.keyids) {
    const k = root.keys.get(id);
    if (!k?.certificate) continue;
    const cn = /(?:^|\n)CN=([^\n]*)/.exec(k.certificate.subject)?.[1];
    const cnMatches = cn !== undefined && (cn === gun || (cn.endsWith('*') && gun.startsWith(cn.slice(0, -1))));
    const t = now.getTime();
    if (cnMatches && new Date(k.certificate.validFrom).getTime() <= t && t <= new Date(k.certificate.validTo).getTime()) out.set(id, k);
  }
  return out;
}

function verifyRootSelf(file: UntrustedFile<RootSigned>, gun: string, now: Date, what: string): void {
  const keys = usableRootKeys(file.signed, gun, now);
  if (keys.size === 0) fail('TRUST_ROOT_UNTRUSTED', `${what} has no root certificate for ${gun} that is valid now`);
  verifyRoleSignatures(file.signedBytes, file.signatures, file.signed.roles.root, keys, what);
}

/**
 * The root to trust. Without `trusted` (first contact) the newest root is trusted on
 * first use, as notary and docker do. With `trusted`, `rootChain` holds every newer
 * version in order (`<n>.root.json`), each signed by the previous root's keys and its own.
 */
export function verifyRootChain(args: { gun: string; now: Date; trusted?: Buffer; rootChain: readonly Buffer[] }): Verified<RootSigned> {
  const { gun, now } = args;
  let current: UntrustedFile<RootSigned> | undefined = args.trusted ? parseRoot(args.trusted, 'the cached root.json') : undefined;
  for (const bytes of args.rootChain) {
    const next = parseRoot(bytes);
    const what = `root.json version ${next.signed.version}`;
    if (current) {
      if (next.signed.version < current.signed.version) fail('TRUST_ROLLBACK', `${what} is older than the trusted version ${current.signed.version} (rollback)`);
      if (next.signed.version === current.signed.version) {
        if (!next.bytes.equals(current.bytes)) fail('TRUST_ROOT_UNTRUSTED', `${what} differs from the trusted root of the same version`);
        continue;
      }
      if (next.signed.version !== current.signed.version + 1) fail('TRUST_METADATA_INVALID', `${what} does not follow version ${current.signed.version}; every root version is needed`);
      // A rotation must be approved by the keys trusted so far.
      verifyRoleSignatures(next.signedBytes, next.signatures, current.signed.roles.root, current.signed.keys, `${what} (signed by the previous root's keys)`);
    }
    verifyRootSelf(next, gun, now, what);
    current = next;
  }
  if (!current) fail('TRUST_METADATA_INVALID', `no root.json for ${gun}`);
  if (args.trusted && args.rootChain.length === 0) verifyRootSelf(current, gun, now, 'the cached root.json');
  checkExpiry('root.json', current.signed.expires, now);
  return { bytes: current.bytes, signed: current.signed };
}

export function verifyTimestamp(root: Verified<RootSigned>, bytes: Buffer, now: Date, seen?: number): Verified<TimestampSigned> {
  const file = parseTimestamp(bytes);
  verifyRoleSignatures(file.signedBytes, file.signatures, root.signed.roles.timestamp, root.signed.keys, 'timestamp.json');
  checkVersion('timestamp.json', file.signed.version, seen);
  checkExpiry('timestamp.json', file.signed.expires, now);
  return { bytes, signed: file.signed };
}

export function verifySnapshot(root: Verified<RootSigned>, timestamp: Verified<TimestampSigned>, bytes: Buffer, now: Date, seen?: number): Verified<SnapshotSigned> {
  checkFileMeta('snapshot.json', bytes, timestamp.signed.snapshot);
  const file = parseSnapshot(bytes);
  verifyRoleSignatures(file.signedBytes, file.signatures, root.signed.roles.snapshot, root.signed.keys, 'snapshot.json');
  checkVersion('snapshot.json', file.signed.version, seen);
  checkExpiry('snapshot.json', file.signed.expires, now);
  // The snapshot pins the root too: a root the snapshot does not list is a mix-and-match.
  const rootMeta = file.signed.meta.get('root');
  if (rootMeta) checkFileMeta('root.json', root.bytes, rootMeta);
  return { bytes, signed: file.signed };
}

export function verifyTopTargets(root: Verified<RootSigned>, snapshot: Verified<SnapshotSigned>, bytes: Buffer, now: Date, seen?: number): VerifiedTargets {
  return verifyTargetsFile('targets', bytes, snapshot, root.signed.roles.targets, root.signed.keys, [], now, seen);
}

/** Verifies a delegation file `name` against the role that delegates it (`parent`). */
export function verifyDelegation(parent: VerifiedTargets, snapshot: Verified<SnapshotSigned>, name: string, bytes: Buffer, now: Date, seen?: number): VerifiedTargets {
  const role = parent.signed.delegationRoles.find((r) => r.name === name);
  if (!role) fail('TRUST_METADATA_INVALID', `${name} is not delegated by ${parent.role}`);
  if (!name.startsWith(`${parent.role}/`)) fail('TRUST_METADATA_INVALID', `${name} is not below ${parent.role}`);
  return verifyTargetsFile(name, bytes, snapshot, role, parent.signed.delegationKeys, [...parent.chain, role], now, seen);
}

function verifyTargetsFile(role: string, bytes: Buffer, snapshot: Verified<SnapshotSigned>, keys: RoleKeys, keyMap: ReadonlyMap<string, TufPublicKey>, chain: DelegatedRole[], now: Date, seen?: number): VerifiedTargets {
  const what = `${role}.json`;
  checkFileMeta(what, bytes, snapshot.signed.meta.get(role));
  const file = parseTargets(bytes, what);
  verifyRoleSignatures(file.signedBytes, file.signatures, keys, keyMap, what);
  checkVersion(what, file.signed.version, seen);
  checkExpiry(what, file.signed.expires, now);
  for (const name of file.signed.targets.keys()) {
    const outside = chain.find((r) => !roleAllows(r, name));
    if (outside) fail('TRUST_SCOPE_VIOLATION', `${what} signs target ${JSON.stringify(name)}, which is outside the paths delegated to ${outside.name}`);
  }
  return { bytes, signed: file.signed, role, chain };
}

/** Delegation paths are plain prefixes ("" = everything); hash prefixes are hex of sha256(name). */
export function roleAllows(role: DelegatedRole, target: string): boolean {
  if (role.paths) return role.paths.some((p) => target.startsWith(p));
  if (role.pathHashPrefixes) {
    const h = createHash('sha256').update(target).digest('hex');
    return role.pathHashPrefixes.some((p) => h.startsWith(p.toLowerCase()));
  }
  return false;
}

/** Everything a client fetched, verified in one call (tests, and the client's final check). */
export interface RepositoryFiles {
  gun: string;
  now: Date;
  trustedRoot?: Buffer;
  rootChain: readonly Buffer[];
  timestamp: Buffer;
  snapshot: Buffer;
  targets: Buffer;
  /** Delegation files by role name (`targets/releases`, …); those not given are not verified. */
  delegations?: ReadonlyMap<string, Buffer>;
  seen?: SeenVersions;
}

export function verifyRepository(f: RepositoryFiles): VerifiedRepository {
  const root = verifyRootChain({ gun: f.gun, now: f.now, ...(f.trustedRoot ? { trusted: f.trustedRoot } : {}), rootChain: f.rootChain });
  checkVersion('root.json', root.signed.version, f.seen?.root);
  const timestamp = verifyTimestamp(root, f.timestamp, f.now, f.seen?.timestamp);
  const snapshot = verifySnapshot(root, timestamp, f.snapshot, f.now, f.seen?.snapshot);
  const top = verifyTopTargets(root, snapshot, f.targets, f.now, f.seen?.targets?.targets);
  const targets = new Map<string, VerifiedTargets>([['targets', top]]);
  // Parents before children: walk the delegation tree breadth-first from `targets`.
  const queue: VerifiedTargets[] = [top];
  for (let parent = queue.shift(); parent; parent = queue.shift()) {
    for (const role of parent.signed.delegationRoles) {
      const bytes = f.delegations?.get(role.name);
      if (!bytes || targets.has(role.name)) continue;
      const v = verifyDelegation(parent, snapshot, role.name, bytes, f.now, f.seen?.targets?.[role.name]);
      targets.set(role.name, v);
      queue.push(v);
    }
  }
  return { gun: f.gun, root, timestamp, snapshot, targets };
}
