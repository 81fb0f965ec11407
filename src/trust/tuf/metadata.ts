/**
 * Parsing Notary v1 metadata files (`{"signed": {...}, "signatures": [...]}`) into
 * typed, still untrusted values. Nothing here says a file is trustworthy: verify.ts
 * checks signatures, hashes, versions and expiry before anything is used.
 */
import { ImgsealError } from '../../errors.js';
import { canonicalJson } from './canonical-json.js';
import { parseKeyMap, type TufPublicKey } from './keys.js';
import type { RoleKeys, UntrustedSignature } from './signatures.js';

export type RoleType = 'Root' | 'Targets' | 'Snapshot' | 'Timestamp';

/** A parsed file, not yet verified. */
export interface UntrustedFile<T> {
  /** The exact bytes received (hashes in parent metadata cover these). */
  bytes: Buffer;
  /** The canonical re-encoding of `signed`: what signatures cover. */
  signedBytes: Buffer;
  signatures: UntrustedSignature[];
  signed: T;
}

export interface Common {
  type: RoleType;
  version: number;
  expires: Date;
}

/** Hashes (algorithm → raw bytes) and length of a file or target. */
export interface FileMeta {
  hashes: Map<string, Buffer>;
  length: number;
}

export interface RootSigned extends Common {
  keys: Map<string, TufPublicKey>;
  roles: Record<'root' | 'targets' | 'snapshot' | 'timestamp', RoleKeys>;
}

export interface DelegatedRole extends RoleKeys {
  name: string;
  paths?: string[];
  pathHashPrefixes?: string[];
}

export interface TargetsSigned extends Common {
  targets: Map<string, FileMeta & { custom?: unknown }>;
  delegationKeys: Map<string, TufPublicKey>;
  delegationRoles: DelegatedRole[];
}

export interface SnapshotSigned extends Common {
  meta: Map<string, FileMeta>;
}

export interface TimestampSigned extends Common {
  snapshot: FileMeta;
}

/** Metadata larger than this is refused before parsing (notary caps timestamp at 1 MiB, others higher). */
export const MAX_METADATA_BYTES = 16 << 20;

export function parseEnvelope(bytes: Buffer, what: string): { signed: Record<string, unknown>; signedBytes: Buffer; signatures: UntrustedSignature[] } {
  if (bytes.length > MAX_METADATA_BYTES) throw invalid(`${what} is larger than ${MAX_METADATA_BYTES} bytes`);
  let doc: unknown;
  try {
    doc = JSON.parse(bytes.toString('utf8'));
  } catch {
    throw invalid(`${what} is not valid JSON`);
  }
  const env = asObject(doc, what);
  const signed = asObject(env.signed, `${what}: signed`);
  if (!Array.isArray(env.signatures)) throw invalid(`${what}: signatures is not a list`);
  const signatures = env.signatures.map((s, i): UntrustedSignature => {
    const o = asObject(s, `${what}: signature ${i}`);
    if (typeof o.keyid !== 'string' || typeof o.method !== 'string' || typeof o.sig !== 'string') {
      throw invalid(`${what}: signature ${i} needs string keyid, method and sig`);
    }
    return { keyid: o.keyid, method: o.method.toLowerCase(), sig: Buffer.from(o.sig, 'base64') };
  });
  return { signed, signedBytes: canonicalJson(signed), signatures };
}

function parseCommon(signed: Record<string, unknown>, type: RoleType, what: string): Common {
  if (signed._type !== type) throw invalid(`${what}: _type is ${JSON.stringify(signed._type)}, expected ${type}`);
  const version = signed.version;
  if (typeof version !== 'number' || !Number.isSafeInteger(version) || version < 1) throw invalid(`${what}: version is not a positive integer`);
  return { type, version, expires: parseExpires(signed.expires, what) };
}

/** RFC 3339 in UTC with up to 9 fraction digits (Go writes nanoseconds). */
function parseExpires(v: unknown, what: string): Date {
  const m = typeof v === 'string' ? /^(\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d)(\.\d{1,9})?(Z|[+-]\d\d:\d\d)$/.exec(v) : null;
  const d = m ? new Date(`${m[1]}${m[2] ? m[2].slice(0, 4) : ''}${m[3]}`) : undefined;
  if (!d || Number.isNaN(d.getTime())) throw invalid(`${what}: expires ${JSON.stringify(v)} is not an RFC 3339 time`);
  return d;
}

function parseFileMeta(v: unknown, what: string): FileMeta {
  const o = asObject(v, what);
  if (typeof o.length !== 'number' || !Number.isSafeInteger(o.length) || o.length < 0) throw invalid(`${what}: length is not a non-negative integer`);
  const hashes = new Map<string, Buffer>();
  for (const [alg, b64] of Object.entries(asObject(o.hashes, `${what}: hashes`))) {
    if (typeof b64 !== 'string') throw invalid(`${what}: hash ${alg} is not a string`);
    hashes.set(alg, Buffer.from(b64, 'base64'));
  }
  return { hashes, length: o.length };
}

function parseRoleKeys(v: unknown, what: string): RoleKeys {
  const o = asObject(v, what);
  if (!Array.isArray(o.keyids) || o.keyids.some((k) => typeof k !== 'string')) throw invalid(`${what}: keyids is not a list of strings`);
  if (typeof o.threshold !== 'number') throw invalid(`${what}: threshold is not a number`);
  return { keyids: o.keyids as string[], threshold: o.threshold };
}

const BASE_ROLES = ['root', 'targets', 'snapshot', 'timestamp'] as const;

export function parseRoot(bytes: Buffer, what = 'root.json'): UntrustedFile<RootSigned> {
  const env = parseEnvelope(bytes, what);
  const common = parseCommon(env.signed, 'Root', what);
  const rolesRaw = asObject(env.signed.roles, `${what}: roles`);
  const roles = {} as RootSigned['roles'];
  for (const r of BASE_ROLES) roles[r] = parseRoleKeys(rolesRaw[r], `${what}: role ${r}`);
  return { bytes, signedBytes: env.signedBytes, signatures: env.signatures, signed: { ...common, keys: parseKeyMap(env.signed.keys, what), roles } };
}

/** Delegation names: `targets/` + `[-a-z0-9_/]`, path-clean, < 256 characters. */
export function isValidDelegationName(name: string): boolean {
  return name.length < 256 && /^targets\/[-a-z0-9_/]+$/.test(name) && !name.split('/').some((p) => p === '' || p === '.' || p === '..');
}

export function parseTargets(bytes: Buffer, what: string): UntrustedFile<TargetsSigned> {
  const env = parseEnvelope(bytes, what);
  const common = parseCommon(env.signed, 'Targets', what);
  const targets = new Map<string, FileMeta & { custom?: unknown }>();
  for (const [name, t] of Object.entries(asObject(env.signed.targets, `${what}: targets`))) {
    const meta = parseFileMeta(t, `${what}: target ${JSON.stringify(name)}`);
    const custom = (t as Record<string, unknown>).custom;
    targets.set(name, custom === undefined ? meta : { ...meta, custom });
  }
  const del = env.signed.delegations === undefined ? { keys: {}, roles: [] } : asObject(env.signed.delegations, `${what}: delegations`);
  if (!Array.isArray(del.roles)) throw invalid(`${what}: delegations.roles is not a list`);
  const delegationRoles = del.roles.map((r, i): DelegatedRole => {
    const o = asObject(r, `${what}: delegation ${i}`);
    if (typeof o.name !== 'string' || !isValidDelegationName(o.name)) throw invalid(`${what}: delegation ${i} has the invalid name ${JSON.stringify(o.name)}`);
    const role: DelegatedRole = { name: o.name, ...parseRoleKeys(o, `${what}: delegation ${o.name}`) };
    if (o.paths !== undefined) role.paths = stringList(o.paths, `${what}: delegation ${o.name} paths`);
    if (o.path_hash_prefixes !== undefined) role.pathHashPrefixes = stringList(o.path_hash_prefixes, `${what}: delegation ${o.name} path_hash_prefixes`);
    return role;
  });
  return {
    bytes,
    signedBytes: env.signedBytes,
    signatures: env.signatures,
    signed: { ...common, targets, delegationKeys: parseKeyMap(del.keys ?? {}, `${what}: delegations`), delegationRoles },
  };
}

export function parseSnapshot(bytes: Buffer, what = 'snapshot.json'): UntrustedFile<SnapshotSigned> {
  const env = parseEnvelope(bytes, what);
  const common = parseCommon(env.signed, 'Snapshot', what);
  const meta = new Map<string, FileMeta>();
  for (const [name, m] of Object.entries(asObject(env.signed.meta, `${what}: meta`))) meta.set(name, parseFileMeta(m, `${what}: meta ${name}`));
  return { bytes, signedBytes: env.signedBytes, signatures: env.signatures, signed: { ...common, meta } };
}

export function parseTimestamp(bytes: Buffer, what = 'timestamp.json'): UntrustedFile<TimestampSigned> {
  const env = parseEnvelope(bytes, what);
  const common = parseCommon(env.signed, 'Timestamp', what);
  const meta = asObject(env.signed.meta, `${what}: meta`);
  return { bytes, signedBytes: env.signedBytes, signatures: env.signatures, signed: { ...common, snapshot: parseFileMeta(meta.snapshot, `${what}: meta snapshot`) } };
}

function stringList(v: unknown, what: string): string[] {
  if (!Array.isArray(v) || v.some((x) => typeof x !== 'string')) throw invalid(`${what} is not a list of strings`);
  return v as string[];
}

function asObject(v: unknown, what: string): Record<string, unknown> {
  if (typeof v !== 'object' || v === null || Array.isArray(v)) throw invalid(`${what} is not a JSON object`);
  return v as Record<string, unknown>;
}

function invalid(message: string): ImgsealError {
  return new ImgsealError('TRUST_METADATA_INVALID', message);
}
