/**
 * Initialising a repository's trust data as docker does on first use: a root key (the
 * first local one, else a new ECDSA P-256 key), a new targets key, and the snapshot and
 * timestamp keys held by the server (one GET each: until a root is published the server
 * answers every GET with a new key, so the root must list exactly the keys fetched).
 * Root v1 and targets v1 are published; the server makes snapshot and timestamp.
 */
import { generateKeyPairSync, createPublicKey } from 'node:crypto';
import { makeRootCertificate } from '../tuf/root-certificate.js';
import { signMetadata, tufExpires } from '../tuf/sign.js';
import { tufKeyId, tufKeyObject } from '../tuf/keys.js';
import type { NotaryClient } from './notary-client.js';
import type { KeyRing } from './signing-keys.js';

export const EXPIRY_DAYS = { root: 3650, targets: 1095, snapshot: 1095 } as const;

export async function initializeRepository(client: NotaryClient, ring: KeyRing, gun: string, now: Date): Promise<void> {
  const rootInfo = ring.stored.filter((s) => s.role === 'root').sort((a, b) => a.id.localeCompare(b.id))[0];
  let rootPrivate;
  if (rootInfo) {
    rootPrivate = await ring.dir.loadPrivateKey(rootInfo, await ring.passphrases.root());
  } else {
    rootPrivate = generateKeyPairSync('ec', { namedCurve: 'P-256' }).privateKey;
    const bare = tufKeyObject(createPublicKey(rootPrivate));
    await ring.dir.writePrivateKey(tufKeyId(bare.keytype, bare.keyval.public), rootPrivate, await ring.passphrases.root(), { role: 'root' });
  }
  const rootPem = await makeRootCertificate(rootPrivate, createPublicKey(rootPrivate), gun, now);
  const rootKey = { keytype: 'ecdsa-x509', keyval: { private: null, public: Buffer.from(rootPem).toString('base64') } };
  const rootId = tufKeyId(rootKey.keytype, rootKey.keyval.public);

  const targetsPrivate = generateKeyPairSync('ec', { namedCurve: 'P-256' }).privateKey;
  const targetsKey = tufKeyObject(createPublicKey(targetsPrivate));
  const targetsId = tufKeyId(targetsKey.keytype, targetsKey.keyval.public);

  const timestampKey = await client.getServerKey(gun, 'timestamp');
  const snapshotKey = await client.getServerKey(gun, 'snapshot');
  const timestampId = tufKeyId(timestampKey.keytype, timestampKey.keyval.public);
  const snapshotId = tufKeyId(snapshotKey.keytype, snapshotKey.keyval.public);
  const one = (id: string) => ({ keyids: [id], threshold: 1 });
  const root = signMetadata(
    {
      _type: 'Root',
      consistent_snapshot: false,
      expires: tufExpires(now, EXPIRY_DAYS.root),
      keys: { [rootId]: rootKey, [targetsId]: targetsKey, [snapshotId]: snapshotKey, [timestampId]: timestampKey },
      roles: { root: one(rootId), snapshot: one(snapshotId), targets: one(targetsId), timestamp: one(timestampId) },
      version: 1,
    },
    [{ keyid: rootId, privateKey: rootPrivate }],
  );
  const targets = signMetadata(
    { _type: 'Targets', delegations: { keys: {}, roles: [] }, expires: tufExpires(now, EXPIRY_DAYS.targets), targets: {}, version: 1 },
    [{ keyid: targetsId, privateKey: targetsPrivate }],
  );
  await client.publish(gun, [
    ['root', root],
    ['targets', targets],
  ]);
  // Stored only once the server took the data: a failed publish leaves no orphan key.
  await ring.dir.writePrivateKey(targetsId, targetsPrivate, await ring.passphrases.repository(), { role: 'targets', gun });
  ring.stored = await ring.dir.listPrivateKeys();
}
