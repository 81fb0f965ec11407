/**
 * A Notary v1 repository built in memory with keys of the test's own, so attacks can be
 * made by editing and re-signing files. Uses the library's own signer (sign.ts), which
 * the vector tests check against notary's files separately.
 */
import { createHash, generateKeyPairSync, type KeyObject } from 'node:crypto';
import { makeRootCertificate } from '../../src/trust/tuf/root-certificate.js';
import { signMetadata, tufExpires } from '../../src/trust/tuf/sign.js';
import { tufKeyId, tufKeyObject } from '../../src/trust/tuf/keys.js';

export interface TestKey {
  id: string;
  keyObject: Record<string, unknown>;
  privateKey: KeyObject;
  publicKey: KeyObject;
}

export function ecKey(): TestKey {
  const { privateKey, publicKey } = generateKeyPairSync('ec', { namedCurve: 'P-256' });
  const keyObject = tufKeyObject(publicKey);
  return { id: tufKeyId(keyObject.keytype, keyObject.keyval.public), keyObject, privateKey, publicKey };
}

export async function rootKey(gun: string, now: Date): Promise<TestKey> {
  const k = ecKey();
  const pem = await makeRootCertificate(k.privateKey, k.publicKey, gun, new Date(now.getTime() - 86_400_000));
  const keyObject = { keytype: 'ecdsa-x509', keyval: { private: null, public: Buffer.from(pem).toString('base64') } };
  return { ...k, id: tufKeyId('ecdsa-x509', keyObject.keyval.public), keyObject };
}

export function meta(bytes: Buffer): Record<string, unknown> {
  return { hashes: { sha256: createHash('sha256').update(bytes).digest('base64'), sha512: createHash('sha512').update(bytes).digest('base64') }, length: bytes.length };
}

export function sign(signed: Record<string, unknown>, ...keys: TestKey[]): Buffer {
  return signMetadata(signed, keys.map((k) => ({ keyid: k.id, privateKey: k.privateKey })));
}

export interface TestRepo {
  gun: string;
  now: Date;
  keys: { root: TestKey; targets: TestKey; snapshot: TestKey; timestamp: TestKey; releases: TestKey };
  rootSigned: Record<string, unknown>;
  targetsSigned: Record<string, unknown>;
  releasesSigned: Record<string, unknown>;
  files: { root: Buffer; targets: Buffer; releases: Buffer; snapshot: Buffer; timestamp: Buffer };
  /** Re-makes snapshot and timestamp over the current files (what an honest server does). */
  republish(opts?: { snapshotVersion?: number; timestampVersion?: number; timestampDays?: number }): void;
}

/** root v1, targets (delegating targets/releases with paths [""]), releases signing `v1`, snapshot, timestamp. */
export async function makeTestRepo(gun = 'registry.test/team/app', now = new Date('2026-11-23T00:00:00Z')): Promise<TestRepo> {
  const keys = { root: await rootKey(gun, now), targets: ecKey(), snapshot: ecKey(), timestamp: ecKey(), releases: ecKey() };
  const role = (k: TestKey) => ({ keyids: [k.id], threshold: 1 });
  const rootSigned: Record<string, unknown> = {
    _type: 'Root',
    consistent_snapshot: false,
    expires: tufExpires(now, 3650),
    keys: Object.fromEntries([keys.root, keys.targets, keys.snapshot, keys.timestamp].map((k) => [k.id, k.keyObject])),
    roles: { root: role(keys.root), targets: role(keys.targets), snapshot: role(keys.snapshot), timestamp: role(keys.timestamp) },
    version: 1,
  };
  const digest = createHash('sha256').update('manifest v1').digest('base64');
  const releasesSigned: Record<string, unknown> = {
    _type: 'Targets',
    delegations: { keys: {}, roles: [] },
    expires: tufExpires(now, 1095),
    targets: { v1: { hashes: { sha256: digest }, length: 11 } },
    version: 1,
  };
  const targetsSigned: Record<string, unknown> = {
    _type: 'Targets',
    delegations: { keys: { [keys.releases.id]: keys.releases.keyObject }, roles: [{ keyids: [keys.releases.id], name: 'targets/releases', paths: [''], threshold: 1 }] },
    expires: tufExpires(now, 1095),
    targets: {},
    version: 1,
  };
  const repo: TestRepo = {
    gun,
    now,
    keys,
    rootSigned,
    targetsSigned,
    releasesSigned,
    files: { root: sign(rootSigned, keys.root), targets: sign(targetsSigned, keys.targets), releases: sign(releasesSigned, keys.releases), snapshot: Buffer.alloc(0), timestamp: Buffer.alloc(0) },
    republish(opts = {}) {
      const snapshotSigned = {
        _type: 'Snapshot',
        expires: tufExpires(now, 1095),
        meta: { root: meta(repo.files.root), targets: meta(repo.files.targets), 'targets/releases': meta(repo.files.releases) },
        version: opts.snapshotVersion ?? 1,
      };
      repo.files.snapshot = sign(snapshotSigned, keys.snapshot);
      const timestampSigned = { _type: 'Timestamp', expires: tufExpires(now, opts.timestampDays ?? 14), meta: { snapshot: meta(repo.files.snapshot) }, version: opts.timestampVersion ?? 1 };
      repo.files.timestamp = sign(timestampSigned, keys.timestamp);
    },
  };
  repo.republish();
  return repo;
}

export function filesOf(repo: TestRepo, now = repo.now) {
  return {
    gun: repo.gun,
    now,
    rootChain: [repo.files.root],
    timestamp: repo.files.timestamp,
    snapshot: repo.files.snapshot,
    targets: repo.files.targets,
    delegations: new Map([['targets/releases', repo.files.releases]]),
  };
}
