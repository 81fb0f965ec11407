// The encrypted sigstore/cosign private key file (spec §4.6): the real cosign test keys
// (password `hello`) and the vector key made by gen_cosign_key.py open; the SEC1 one is
// refused as cosign refuses it; a wrong passphrase is one line without the passphrase;
// what we write opens again, with the parameters and PEM layout containers/image expects,
// and signs what the vector's public key style verifies.
import assert from 'node:assert/strict';
import { createPublicKey, generateKeyPairSync, sign, verify } from 'node:crypto';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { test } from 'node:test';
import { decryptSigstorePrivateKey, encryptSigstorePrivateKey, publicKeyPem } from '../../src/signature/sigstore-key.js';

const F = new URL('../../../test/fixtures/signing/', import.meta.url).pathname;
const read = (p: string): Buffer => readFileSync(join(F, p));

test('the real cosign test keys open with "hello" (COSIGN and SIGSTORE PEM types)', async () => {
  for (const f of ['pemcosignkey-rsa.key', 'pemsigstorekey.key']) {
    const k = await decryptSigstorePrivateKey(read(`cosign-test-keys/${f}`), 'hello', f);
    assert.equal(k.type, 'private');
    const sig = sign(k.asymmetricKeyType === 'ed25519' ? null : 'sha256', Buffer.from('x'), k);
    assert.ok(verify(k.asymmetricKeyType === 'ed25519' ? null : 'sha256', Buffer.from('x'), createPublicKey(k), sig), f);
  }
});

test('the SEC1 cosign test key (N=65536) decrypts but is refused as cosign refuses it', async () => {
  await assert.rejects(decryptSigstorePrivateKey(read('cosign-test-keys/pemcosigneckey-sec1.key'), 'hello', 'ec.key'), (e: Error) => {
    assert.match(e.message, /^ec\.key: the decrypted key is a SEC1 "EC PRIVATE KEY", which cosign and containers\/image refuse; it must be PKCS#8$/);
    return true;
  });
});

test('the vector key opens with its password and matches cosign-a.pub; a wrong passphrase is one clear line', async () => {
  const pass = read('sigstore-attachment/cosign-a.password.txt').toString().trim();
  const k = await decryptSigstorePrivateKey(read('sigstore-attachment/cosign-a.key'), pass, 'cosign-a.key');
  assert.equal(publicKeyPem(k), read('sigstore-attachment/cosign-a.pub').toString());
  await assert.rejects(decryptSigstorePrivateKey(read('sigstore-attachment/cosign-a.key'), 'not-the-passphrase', 'cosign-a.key'), (e: Error & { code?: string }) => {
    assert.equal(e.message, 'cosign-a.key: decrypt: incorrect passphrase (or a damaged key file)');
    assert.equal(e.code, 'KEY_PASSWORD');
    assert.ok(!e.message.includes('not-the-passphrase'));
    return true;
  });
});

test('what we write: SIGSTORE PEM, 64-char lines, N=32768 r=8 p=1, 32-byte salt, 24-byte nonce; it opens again', async () => {
  const { privateKey } = generateKeyPairSync('ec', { namedCurve: 'P-256' });
  const text = await encryptSigstorePrivateKey(privateKey, 'pw');
  const lines = text.trimEnd().split('\n');
  assert.equal(lines[0], '-----BEGIN ENCRYPTED SIGSTORE PRIVATE KEY-----');
  assert.equal(lines.at(-1), '-----END ENCRYPTED SIGSTORE PRIVATE KEY-----');
  for (const l of lines.slice(1, -2)) assert.equal(l.length, 64);
  const doc = JSON.parse(Buffer.from(lines.slice(1, -1).join(''), 'base64').toString());
  assert.deepEqual(Object.keys(doc), ['kdf', 'cipher', 'ciphertext']);
  assert.deepEqual(doc.kdf.params, { N: 32768, r: 8, p: 1 });
  assert.equal(doc.kdf.name, 'scrypt');
  assert.equal(doc.cipher.name, 'nacl/secretbox');
  assert.equal(Buffer.from(doc.kdf.salt, 'base64').length, 32);
  assert.equal(Buffer.from(doc.cipher.nonce, 'base64').length, 24);
  const back = await decryptSigstorePrivateKey(text, 'pw', 'mine');
  assert.equal(publicKeyPem(back), publicKeyPem(privateKey));
  await assert.rejects(decryptSigstorePrivateKey(text, 'pW', 'mine'), /incorrect passphrase/);
  // an empty passphrase is allowed (spec §4.6)
  assert.equal(publicKeyPem(await decryptSigstorePrivateKey(await encryptSigstorePrivateKey(privateKey, ''), '', 'e')), publicKeyPem(privateKey));
});

test('corrupt or foreign files are one line naming the file', async () => {
  const good = read('sigstore-attachment/cosign-a.key').toString();
  const body = JSON.parse(Buffer.from(good.split('\n').slice(1, -2).join(''), 'base64').toString());
  const wrap = (d: unknown): string => `-----BEGIN ENCRYPTED COSIGN PRIVATE KEY-----\n${Buffer.from(JSON.stringify(d)).toString('base64')}\n-----END ENCRYPTED COSIGN PRIVATE KEY-----\n`;
  const cases: [string, RegExp][] = [
    ['-----BEGIN PRIVATE KEY-----\nAAAA\n-----END PRIVATE KEY-----\n', /^k: a PEM block of type "PRIVATE KEY", not ENCRYPTED SIGSTORE PRIVATE KEY/],
    ['hello', /^k: not a PEM file/],
    [wrap({ ...body, kdf: { ...body.kdf, params: { N: 1 << 20, r: 8, p: 1 } } }), /^k: unexpected kdf parameters N=1048576 r=8 p=1/],
    [wrap({ ...body, kdf: { ...body.kdf, params: { N: 16384, r: 8, p: 1 } } }), /^k: unexpected kdf parameters N=16384/],
    [wrap({ ...body, extra: 1 }), /^k: unknown field "extra" in the key document$/],
    [wrap({ ...body, cipher: { name: 'aes', nonce: body.cipher.nonce } }), /^k: unsupported cipher "aes"/],
    [wrap({ ...body, ciphertext: Buffer.from(body.ciphertext, 'base64').subarray(1).toString('base64') }), /^k: decrypt: incorrect passphrase/],
  ];
  for (const [text, re] of cases) {
    await assert.rejects(decryptSigstorePrivateKey(text, 'testpass', 'k'), (e: Error) => {
      assert.match(e.message, re);
      return true;
    });
  }
});
