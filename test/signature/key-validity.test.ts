// Key validity in simple-signing verification, judged as gpgme (containers/image) does:
// a signature by a signing subkey counts as its primary key's; the signing key (primary
// or subkey) must be neither revoked nor expired *now*, even when the signature was
// made while it was valid (gpgme's EXPKEYSIG / REVKEYSIG). Keys made with openpgp.js at
// fixed past dates; the verifier's clock is injected. The same cases with keys made by
// gpg, checked against skopeo too, are in test/e2e/signing-keys.test.ts.
import assert from 'node:assert/strict';
import { test } from 'node:test';
import * as openpgp from 'openpgp';
import { isImgsealError } from '../../src/errors.js';
import { serializePayload } from '../../src/signature/payload.js';
import { verifySimpleSignature } from '../../src/signature/simple-signing.js';

const CREATED = new Date('2020-01-01T00:00:00Z');
const SIGNED = new Date('2020-01-01T12:00:00Z');
const DAY = 86_400;
const payload = serializePayload({ dockerManifestDigest: `sha256:${'b'.repeat(64)}`, dockerReference: 'example.test/app:v1', creator: 'imgseal 0.1', timestamp: SIGNED.getTime() / 1000 });

async function sign(key: openpgp.PrivateKey, date = SIGNED): Promise<Buffer> {
  const message = await openpgp.createMessage({ binary: new Uint8Array(payload), format: 'binary' });
  return Buffer.from((await openpgp.sign({ message, signingKeys: key, format: 'binary', date })) as Uint8Array);
}

function signerKeyID(blob: Buffer): Promise<string> {
  return openpgp.readMessage({ binaryMessage: new Uint8Array(blob) }).then((m) => m.getSigningKeyIDs()[0]!.toHex().toUpperCase());
}

async function rejects(blob: Buffer, key: openpgp.PublicKey, re: RegExp, now?: Date): Promise<void> {
  await assert.rejects(verifySimpleSignature(blob, [key], now), (err: unknown) => {
    assert.ok(isImgsealError(err, 'SIGNATURE_INVALID'), String(err));
    assert.match(err.message, re);
    assert.doesNotMatch(err.message, /\n/, 'one line');
    return true;
  });
}

const gen = (o: Partial<Parameters<typeof openpgp.generateKey>[0]> = {}): Promise<{ privateKey: openpgp.PrivateKey; publicKey: openpgp.PublicKey }> =>
  openpgp.generateKey({ type: 'ecc', curve: 'ed25519Legacy', userIDs: [{ email: 'k@example.test' }], date: CREATED, format: 'object', ...o }) as never;

test('a signing subkey of a trusted key is accepted as that key (current containers/image)', async () => {
  const { privateKey, publicKey } = await gen({ subkeys: [{ sign: true }] });
  const blob = await sign(privateKey);
  const sub = publicKey.subkeys[0]!;
  assert.equal(await signerKeyID(blob), sub.getKeyID().toHex().toUpperCase(), 'made by the subkey, not the primary');
  const v = await verifySimpleSignature(blob, [publicKey]);
  assert.equal(v.signerFingerprint, publicKey.getFingerprint().toUpperCase(), 'reported as the primary key');
  assert.equal(v.payload.dockerReference, 'example.test/app:v1');
  // Another key's subkey is not trusted because of some other trusted key.
  const other = await gen();
  await rejects(blob, other.publicKey, /^Invalid GPG signature: signed by key [0-9A-F]{16}, which is not a trusted key$/);
});

test('a key that expired after signing: rejected now, accepted with a clock before the expiry', async () => {
  const { privateKey, publicKey } = await gen({ keyExpirationTime: DAY });
  const blob = await sign(privateKey);
  const fpr = publicKey.getFingerprint().toUpperCase();
  await rejects(blob, publicKey, new RegExp(`^Invalid GPG signature by ${fpr}: the key expired on 2020-01-02T00:00:00Z$`));
  const v = await verifySimpleSignature(blob, [publicKey], new Date('2020-01-01T18:00:00Z'));
  assert.equal(v.signerFingerprint, fpr);
});

test('a revoked key: rejected, even for a signature made before the revocation', async () => {
  const { privateKey, publicKey } = await gen();
  const blob = await sign(privateKey);
  assert.ok(await verifySimpleSignature(blob, [publicKey]), 'valid before the revocation');
  const { publicKey: revoked } = await openpgp.revokeKey({ key: privateKey, date: new Date('2020-06-01T00:00:00Z'), format: 'object' });
  await rejects(blob, revoked, new RegExp(`^Invalid GPG signature by ${publicKey.getFingerprint().toUpperCase()}: the key is revoked$`));
});

test('an expired or revoked signing subkey: rejected, naming the subkey', async () => {
  const { privateKey, publicKey } = await gen({ subkeys: [{ sign: true, keyExpirationTime: DAY }] });
  const blob = await sign(privateKey);
  const subFpr = publicKey.subkeys[0]!.getFingerprint().toUpperCase();
  await rejects(blob, publicKey, new RegExp(`^Invalid GPG signature by ${publicKey.getFingerprint().toUpperCase()}: its signing subkey ${subFpr} expired on 2020-01-02T00:00:00Z$`));

  const k2 = await gen({ subkeys: [{ sign: true }] });
  const blob2 = await sign(k2.privateKey);
  const revokedSub = await k2.privateKey.subkeys[0]!.revoke(k2.privateKey.keyPacket as openpgp.SecretKeyPacket, undefined, new Date('2020-06-01T00:00:00Z'));
  const pub2 = await openpgp.readKey({ binaryKey: k2.publicKey.write() });
  pub2.subkeys[0]!.revocationSignatures.push(...revokedSub.revocationSignatures);
  await rejects(blob2, pub2, new RegExp(`its signing subkey ${pub2.subkeys[0]!.getFingerprint().toUpperCase()} is revoked$`));
});
