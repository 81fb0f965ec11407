// The skopeo-made simple-signing vectors (test/fixtures/signing, recorded results in its
// README) verify as recorded: key A accepts, key B's keyring does not, a modified
// manifest fails the digest check; our own signatures verify with gpgv-compatible
// structure and round-trip.
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { test } from 'node:test';
import * as openpgp from 'openpgp';
import { isImgsealError } from '../../src/errors.js';
import { parsePayload, serializePayload } from '../../src/signature/payload.js';
import { readPublicKeys, requireDigestMatches, verifySimpleSignature } from '../../src/signature/simple-signing.js';
import { openpgpSign } from '../../src/signature/sign.js';

const F = new URL('../../../test/fixtures/signing/', import.meta.url).pathname;
const read = (p: string): Buffer => readFileSync(join(F, p));
const FPR_A = 'BC83425A69C2897EF85EDB69CBE55E801C44403D';

test('skopeo standalone-sign vector: key A verifies, payload and digest as recorded', async () => {
  const keys = await readPublicKeys(read('keys/key-a.pub.gpg'), 'key-a');
  const v = await verifySimpleSignature(read('simple-standalone/sig-key-a-registry.example.com_test_small_v1.sig'), keys);
  assert.equal(v.signerFingerprint, FPR_A);
  assert.equal(v.payload.dockerReference, 'registry.example.com/test/small:v1');
  assert.equal(v.payload.dockerManifestDigest, 'sha256:5919302076be9b539bdee994e1f196b582be4beafdca6412db2fce483e7a74b8');
  assert.equal(v.payload.creator, 'atomic 5.23.1');
  requireDigestMatches(v.payload, read('image/manifest.json'));
  assert.throws(() => requireDigestMatches(v.payload, read('image/manifest-modified.json')), /^ImgsealError: Signature for docker digest "sha256:5919.*" does not match$/);
});

test('armored keyring works too; key B does not verify key A signatures', async () => {
  const a = await readPublicKeys(read('keys/key-a.pub.asc'), 'a');
  await verifySimpleSignature(read('simple-standalone/sig-key-a-busybox_latest-unnormalized.sig'), a);
  const b = await readPublicKeys(read('keys/key-b.pub.gpg'), 'b');
  await assert.rejects(verifySimpleSignature(read('simple-standalone/sig-key-a-registry.example.com_test_small_v1.sig'), b), (err: unknown) => isImgsealError(err, 'SIGNATURE_INVALID') && /not a trusted key/.test(err.message));
  const vb = await verifySimpleSignature(read('simple-standalone/sig-key-b-registry.example.com_test_small_v1.sig'), b);
  assert.equal(vb.signerFingerprint, '0C22AB82519EA6FDCA941F5FAECE4D5FCB0D6F85');
});

test('the payload we write is byte-identical in layout to skopeo\'s', () => {
  const theirs = read('simple-standalone/sig-key-a-registry.example.com_test_small_v1.payload.json');
  const p = parsePayload(theirs);
  assert.deepEqual(serializePayload(p), theirs);
});

test('strict payload parsing: unknown critical field, duplicate key, fractional timestamp', () => {
  const good = JSON.parse(read('simple-standalone/sig-key-a-registry.example.com_test_small_v1.payload.json').toString());
  const bad1 = { ...good, critical: { ...good.critical, extra: 1 } };
  assert.throws(() => parsePayload(Buffer.from(JSON.stringify(bad1))), /unknown field "extra" in critical/);
  const dup = JSON.stringify(good).replace('{"critical":', '{"optional":{},"critical":');
  assert.throws(() => parsePayload(Buffer.from(dup)), /duplicate key "optional"/);
  const frac = { ...good, optional: { timestamp: 1.5 } };
  assert.throws(() => parsePayload(Buffer.from(JSON.stringify(frac))), /timestamp is not an integer/);
});

test('a tampered signature blob is refused', async () => {
  const keys = await readPublicKeys(read('keys/key-a.pub.gpg'), 'a');
  const blob = Buffer.from(read('simple-standalone/sig-key-a-registry.example.com_test_small_v1.sig'));
  blob[blob.length - 5] = (blob[blob.length - 5] as number) ^ 0xff;
  await assert.rejects(verifySimpleSignature(blob, keys), (err: unknown) => isImgsealError(err, 'SIGNATURE_INVALID'));
});

test('openpgp key file signing round-trips through our verifier', async () => {
  const { privateKey, publicKey } = await openpgp.generateKey({ type: 'ecc', curve: 'ed25519Legacy', userIDs: [{ email: 't@example.test' }], format: 'object' });
  const payload = serializePayload({ dockerManifestDigest: 'sha256:' + 'a'.repeat(64), dockerReference: 'example.test/x:v1', creator: 'imgseal 0.1', timestamp: 1 });
  const blob = await openpgpSign(privateKey, payload);
  const v = await verifySimpleSignature(blob, [publicKey]);
  assert.equal(v.signerFingerprint, publicKey.getFingerprint().toUpperCase());
  assert.equal(v.payload.dockerReference, 'example.test/x:v1');
});
