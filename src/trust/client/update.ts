/**
 * Fetching a repository's trust data in TUF order and verifying it, with the local
 * trust cache as the trusted root and the rollback floor; the cache is updated only
 * after everything verified.
 *   root.json (and every `<n>.root.json` between the cached version and it)
 *   → timestamp.json → snapshot.<sha256>.json → targets.<sha256>.json → delegations
 */
import { ImgsealError } from '../../errors.js';
import { parseEnvelope } from '../tuf/metadata.js';
import { verifyRepository, type SeenVersions, type VerifiedRepository } from '../tuf/index.js';
import { parseSnapshot, parseTimestamp } from '../tuf/metadata.js';
import type { TrustDir } from '../store/trust-dir.js';
import type { NotaryClient } from './notary-client.js';

/** More root versions than this between the cache and the server is refused (a bound on hostile input). */
const MAX_ROOT_STEPS = 256;
/** Delegation files fetched per repository at most. */
const MAX_DELEGATIONS = 256;

export interface UpdateOptions {
  client: NotaryClient;
  cache: TrustDir;
  gun: string;
  now: Date;
}

/** Version of a file whose signatures were checked when it was cached (or that is only compared). */
function versionOf(bytes: Buffer | undefined, what: string): number | undefined {
  if (!bytes) return undefined;
  try {
    const v = parseEnvelope(bytes, what).signed.version;
    return typeof v === 'number' ? v : undefined;
  } catch {
    return undefined;
  }
}

function missing(o: UpdateOptions): ImgsealError {
  return new ImgsealError('TRUST_DATA_MISSING', `remote trust data does not exist for ${o.gun}: ${o.client.serverHost} does not have trust data for ${o.gun}`);
}

export async function fetchTrustedRepository(o: UpdateOptions): Promise<VerifiedRepository> {
  const { client, cache, gun } = o;
  const cachedRoot = await cache.readMetadata(gun, 'root');
  const current = await client.getRole(gun, 'root');
  if (!current) throw missing(o);
  const rootChain: Buffer[] = [];
  const from = versionOf(cachedRoot, 'cached root.json');
  const to = versionOf(current, 'root.json');
  if (cachedRoot && from !== undefined && to !== undefined && to > from + 1) {
    if (to - from > MAX_ROOT_STEPS) throw new ImgsealError('TRUST_METADATA_INVALID', `root.json of ${gun} jumps from version ${from} to ${to}`);
    for (let v = from + 1; v < to; v++) {
      const step = await client.getRole(gun, 'root', { version: v });
      if (!step) throw new ImgsealError('TRUST_METADATA_INVALID', `root.json version ${v} of ${gun} is missing on ${client.serverHost}; the root rotation cannot be verified`);
      rootChain.push(step);
    }
  }
  rootChain.push(current);

  const timestamp = await client.getRole(gun, 'timestamp');
  if (!timestamp) throw missing(o);
  // Hashes and lengths come from the (still unverified) parent; verifyRepository checks
  // each file against them and every signature before anything is used.
  const snapMeta = parseTimestamp(timestamp).signed.snapshot;
  const snapshot = await fetchPinned(o, 'snapshot', snapMeta);
  const snap = parseSnapshot(snapshot).signed;
  const targets = await fetchPinned(o, 'targets', snap.meta.get('targets'));
  const delegations = new Map<string, Buffer>();
  const names = [...snap.meta.keys()].filter((n) => n.startsWith('targets/'));
  if (names.length > MAX_DELEGATIONS) throw new ImgsealError('TRUST_METADATA_INVALID', `snapshot of ${gun} lists ${names.length} delegations`);
  for (const name of names) delegations.set(name, await fetchPinned(o, name, snap.meta.get(name)));

  const seen: SeenVersions = { targets: {} };
  const cachedVersion = async (role: string) => versionOf(await cache.readMetadata(gun, role), role);
  for (const [k, role] of [['root', 'root'], ['timestamp', 'timestamp'], ['snapshot', 'snapshot']] as const) {
    const v = await cachedVersion(role);
    if (v !== undefined) seen[k] = v;
  }
  for (const role of ['targets', ...names]) {
    const v = await cachedVersion(role);
    if (v !== undefined) (seen.targets as Record<string, number>)[role] = v;
  }
  const repo = verifyRepository({ gun, now: o.now, ...(cachedRoot ? { trustedRoot: cachedRoot } : {}), rootChain, timestamp, snapshot, targets, delegations, seen });
  await cache.writeMetadata(gun, 'root', repo.root.bytes);
  await cache.writeMetadata(gun, 'timestamp', repo.timestamp.bytes);
  await cache.writeMetadata(gun, 'snapshot', repo.snapshot.bytes);
  for (const [role, t] of repo.targets) await cache.writeMetadata(gun, role, t.bytes);
  return repo;
}

async function fetchPinned(o: UpdateOptions, role: string, meta: { hashes: Map<string, Buffer>; length: number } | undefined): Promise<Buffer> {
  if (!meta) throw new ImgsealError('TRUST_METADATA_INVALID', `${role}.json of ${o.gun} is not listed by its parent metadata`);
  const sha = meta.hashes.get('sha256');
  const bytes = sha ? await o.client.getRole(o.gun, role, { sha256Hex: sha.toString('hex'), length: meta.length }) : await o.client.getRole(o.gun, role, { length: meta.length });
  if (!bytes) throw new ImgsealError('TRUST_METADATA_INVALID', `${role}.json of ${o.gun} is missing on ${o.client.serverHost}`);
  return bytes;
}
