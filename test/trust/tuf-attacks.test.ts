/**
 * Each attack the issue lists, made against a repository of the test's own keys, is
 * refused with its own code and a message naming the file that failed.
 */
import assert from 'node:assert/strict';
import { createHash } from 'node:crypto';
import { test } from 'node:test';
import { resolveTrustedTag, verifyRepository } from '../../src/trust/tuf/index.js';
import { ecKey, filesOf, makeTestRepo, rootKey, sign } from '../testkit/tuf-repo.js';

test('the honest repository verifies and resolves v1 through targets/releases', async () => {
  const repo = await makeTestRepo();
  const v = verifyRepository(filesOf(repo));
  const t = resolveTrustedTag(v, 'v1');
  assert.equal(t.role, 'targets/releases');
  assert.equal(t.digest, `sha256:${createHash('sha256').update('manifest v1').digest('hex')}`);
});

test('tampered targets: a delegation edited after the snapshot was signed', async () => {
  const repo = await makeTestRepo();
  repo.files.releases = Buffer.from(repo.files.releases.toString().replace('"length":11', '"length":12'));
  assert.throws(() => verifyRepository(filesOf(repo)), { code: 'TRUST_HASH_MISMATCH', message: /targets\/releases\.json/ });
});

test('tampered targets re-signed by a key the delegation does not list', async () => {
  const repo = await makeTestRepo();
  (repo.releasesSigned.targets as Record<string, unknown>).v1 = { hashes: { sha256: Buffer.alloc(32, 7).toString('base64') }, length: 11 };
  repo.files.releases = sign(repo.releasesSigned, ecKey());
  repo.republish(); // even with a snapshot that matches the forged file
  assert.throws(() => verifyRepository(filesOf(repo)), { code: 'TRUST_SIGNATURE_INVALID', message: /targets\/releases\.json/ });
});

test('expired timestamp (a freeze attack) is refused', async () => {
  const repo = await makeTestRepo();
  assert.throws(() => verifyRepository(filesOf(repo, new Date(repo.now.getTime() + 15 * 86_400_000))), { code: 'TRUST_EXPIRED', message: /timestamp\.json expired/ });
});

test('snapshot rolled back to an older version', async () => {
  const repo = await makeTestRepo();
  repo.republish({ snapshotVersion: 1, timestampVersion: 3 });
  assert.throws(() => verifyRepository({ ...filesOf(repo), seen: { snapshot: 2 } }), { code: 'TRUST_ROLLBACK', message: /snapshot\.json version 1 is older than version 2/ });
  repo.republish({ snapshotVersion: 3, timestampVersion: 1 });
  assert.throws(() => verifyRepository({ ...filesOf(repo), seen: { timestamp: 2 } }), { code: 'TRUST_ROLLBACK', message: /timestamp\.json/ });
});

test('root signed by an unknown key', async () => {
  const repo = await makeTestRepo();
  repo.files.root = sign(repo.rootSigned, await rootKey(repo.gun, repo.now));
  repo.republish();
  assert.throws(() => verifyRepository(filesOf(repo)), { code: 'TRUST_SIGNATURE_INVALID', message: /root\.json/ });
});

test('a rotated root not approved by the trusted root is refused', async () => {
  const repo = await makeTestRepo();
  const trusted = repo.files.root;
  const attacker = await rootKey(repo.gun, repo.now);
  const forged = { ...repo.rootSigned, version: 2, keys: { ...(repo.rootSigned.keys as object), [attacker.id]: attacker.keyObject }, roles: { ...(repo.rootSigned.roles as object), root: { keyids: [attacker.id], threshold: 1 } } };
  repo.files.root = sign(forged, attacker);
  repo.republish();
  assert.throws(() => verifyRepository({ ...filesOf(repo), trustedRoot: trusted }), { code: 'TRUST_SIGNATURE_INVALID', message: /previous root's keys/ });
  // The same rotation signed by the old root key as well is accepted.
  repo.files.root = sign(forged, attacker, repo.keys.root);
  repo.republish();
  assert.equal(verifyRepository({ ...filesOf(repo), trustedRoot: trusted }).root.signed.version, 2);
});

test('a root whose certificate names another repository is refused', async () => {
  const repo = await makeTestRepo();
  assert.throws(() => verifyRepository({ ...filesOf(repo), gun: 'registry.test/other/app' }), { code: 'TRUST_ROOT_UNTRUSTED' });
});

test('a delegation signing outside its paths', async () => {
  const repo = await makeTestRepo();
  const roles = (repo.targetsSigned.delegations as { roles: { paths: string[] }[] }).roles;
  (roles[0] as { paths: string[] }).paths = ['release-'];
  repo.files.targets = sign(repo.targetsSigned, repo.keys.targets);
  repo.republish();
  assert.throws(() => verifyRepository(filesOf(repo)), { code: 'TRUST_SCOPE_VIOLATION', message: /"v1", which is outside the paths delegated to targets\/releases/ });
});

test('threshold not met: two keys required, one signed', async () => {
  const repo = await makeTestRepo();
  const second = ecKey();
  const roles = (repo.targetsSigned.delegations as { roles: { keyids: string[]; threshold: number }[] }).roles;
  const releases = roles[0] as { keyids: string[]; threshold: number };
  releases.keyids.push(second.id);
  releases.threshold = 2;
  (repo.targetsSigned.delegations as { keys: Record<string, unknown> }).keys[second.id] = second.keyObject;
  repo.files.targets = sign(repo.targetsSigned, repo.keys.targets);
  repo.republish();
  assert.throws(() => verifyRepository(filesOf(repo)), { code: 'TRUST_SIGNATURE_INVALID', message: /1 valid signature\(s\), 2 needed/ });
  // The same signature twice does not count twice.
  const one = JSON.parse(repo.files.releases.toString());
  one.signatures.push(one.signatures[0]);
  repo.files.releases = Buffer.from(JSON.stringify(one));
  repo.republish();
  assert.throws(() => verifyRepository(filesOf(repo)), { code: 'TRUST_SIGNATURE_INVALID' });
  repo.files.releases = sign(repo.releasesSigned, repo.keys.releases, second);
  repo.republish();
  assert.equal(resolveTrustedTag(verifyRepository(filesOf(repo)), 'v1').role, 'targets/releases');
});

test('a key listed under an ID it does not hash to is refused', async () => {
  const repo = await makeTestRepo();
  const other = ecKey();
  const keys = repo.targetsSigned.delegations as { keys: Record<string, unknown> };
  keys.keys[repo.keys.releases.id] = other.keyObject;
  repo.files.targets = sign(repo.targetsSigned, repo.keys.targets);
  repo.republish();
  assert.throws(() => verifyRepository(filesOf(repo)), { code: 'TRUST_METADATA_INVALID', message: /does not hash to its ID/ });
});

test('a snapshot that does not list the root it is served with (mix and match)', async () => {
  const repo = await makeTestRepo();
  repo.republish();
  const otherRoot = sign({ ...repo.rootSigned, expires: '2030-01-01T00:00:00Z' }, repo.keys.root);
  assert.throws(() => verifyRepository({ ...filesOf(repo), rootChain: [otherRoot] }), { code: 'TRUST_HASH_MISMATCH', message: /root\.json/ });
});

test('expiry times are written as Go marshals them (notary re-serialises uploads)', async () => {
  const { goTime } = await import('../../src/trust/tuf/sign.js');
  assert.equal(goTime(new Date('2029-11-30T21:44:28.120Z')), '2029-11-30T21:44:28.12Z');
  assert.equal(goTime(new Date('2029-11-30T21:44:28.000Z')), '2029-11-30T21:44:28Z');
  assert.equal(goTime(new Date('2029-11-30T21:44:28.123Z')), '2029-11-30T21:44:28.123Z');
  assert.equal(goTime(new Date('2029-11-30T21:44:28.100Z')), '2029-11-30T21:44:28.1Z');
});

test('Ed25519 and RSA-PSS role keys verify (eddsa, rsapss with salt 32); a DER ECDSA signature does not', async () => {
  const { generateKeyPairSync, sign: nodeSign } = await import('node:crypto');
  const { tufKeyObject, tufKeyId } = await import('../../src/trust/tuf/keys.js');
  const repo = await makeTestRepo();
  const make = (type: 'ed25519' | 'rsa') => {
    const { privateKey, publicKey } = type === 'rsa' ? generateKeyPairSync('rsa', { modulusLength: 2048 }) : generateKeyPairSync('ed25519');
    const keyObject = tufKeyObject(publicKey);
    return { id: tufKeyId(keyObject.keytype, keyObject.keyval.public), keyObject, privateKey, publicKey };
  };
  const ts = make('ed25519');
  const snap = make('rsa');
  const keys = repo.rootSigned.keys as Record<string, unknown>;
  keys[ts.id] = ts.keyObject;
  keys[snap.id] = snap.keyObject;
  const roles = repo.rootSigned.roles as Record<string, unknown>;
  roles.timestamp = { keyids: [ts.id], threshold: 1 };
  roles.snapshot = { keyids: [snap.id], threshold: 1 };
  repo.files.root = sign(repo.rootSigned, repo.keys.root);
  repo.keys.timestamp = ts;
  repo.keys.snapshot = snap;
  repo.republish();
  const v = verifyRepository(filesOf(repo));
  assert.equal(JSON.parse(repo.files.timestamp.toString()).signatures[0].method, 'eddsa');
  assert.equal(JSON.parse(repo.files.snapshot.toString()).signatures[0].method, 'rsapss');
  assert.equal(v.timestamp.signed.version, 1);
  // notary's ECDSA is raw r||s: a DER signature over the same bytes is refused.
  const releases = JSON.parse(repo.files.releases.toString());
  const { canonicalJson } = await import('../../src/trust/tuf/index.js');
  releases.signatures[0].sig = nodeSign('sha256', canonicalJson(releases.signed), repo.keys.releases.privateKey).toString('base64');
  repo.files.releases = Buffer.from(JSON.stringify(releases));
  repo.republish();
  assert.throws(() => verifyRepository(filesOf(repo)), { code: 'TRUST_SIGNATURE_INVALID', message: /targets\/releases\.json/ });
});
