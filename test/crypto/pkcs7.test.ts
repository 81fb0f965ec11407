// The pkcs7 scheme's format code: skopeo's vectors unwrap to the expected private
// options; what we build has Go's exact shape and re-reads; the failure cases
// (key without certificate, certificate without key, corrupt CMS, bad padding).
import assert from 'node:assert/strict';
import { mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { constants, generateKeyPairSync, publicEncrypt, X509Certificate, createPrivateKey } from 'node:crypto';
import { test } from 'node:test';
import { AsnConvert } from '@peculiar/asn1-schema';
import { ContentInfo, EncryptedContent, EnvelopedData } from '@peculiar/asn1-cms';
import { buildEnvelope, parseEnvelope, OID_AES128_GCM, OID_RSA_ENCRYPTION } from '../../src/crypto/wrap/pkcs7/cms.js';
import { describePkcs7Recipients, unwrapPkcs7, wrapPkcs7 } from '../../src/crypto/wrap/pkcs7/envelope.js';
import { pkcs7Scheme } from '../../src/crypto/wrap/pkcs7/index.js';
import { rsaPkcs1DecryptKey, rsaPkcs1Encrypt } from '../../src/crypto/wrap/pkcs7/rsa-pkcs1.js';
import { isImgsealError } from '../../src/errors.js';
import { encLayers, expected, keyPath } from './fixtures.js';
import { makeCert } from './certs.js';

const ANN = 'org.opencontainers.image.enc.keys.pkcs7';

function vectorEntry(kase: string): Buffer {
  const value = encLayers(kase)[0]?.annotations?.[ANN];
  assert.ok(value, `${kase} has a pkcs7 annotation`);
  return Buffer.from(value, 'base64');
}

function vectorKeys(kase: string) {
  const certificate = new X509Certificate(readFileSync(keyPath(kase, 'pkcs7_cert.pem')));
  const privateKey = createPrivateKey(readFileSync(keyPath(kase, 'pkcs7_priv.pem')));
  return { certificate, privateKey };
}

function assertCode(fn: () => unknown, code: string, re: RegExp): void {
  assert.throws(fn, (err: unknown) => isImgsealError(err) && err.code === code && re.test(err.message));
}

for (const kase of ['pkcs7', 'multi-scheme']) {
  test(`skopeo's ${kase} vector unwraps with key + certificate to the expected private options`, () => {
    const { certificate, privateKey } = vectorKeys(kase);
    const out = unwrapPkcs7(vectorEntry(kase), { privateKeys: [privateKey], certificates: [{ certificate, source: 'cert' }] });
    assert.ok(out);
    assert.equal(Buffer.from(out).toString('utf8'), expected(kase).layers[0]?.privopts_json);
  });
}

test('parse + build of the skopeo vector gives the same bytes (Go shape kept)', () => {
  const der = vectorEntry('pkcs7');
  const env = parseEnvelope(der);
  assert.equal(env.recipients.length, 1);
  assert.equal(env.contentEncryptionAlgorithm, OID_AES128_GCM);
  assert.equal(env.nonce.length, 12);
  assert.equal(env.tagLength, 16);
  assert.equal(env.recipients[0]?.keyEncryptionAlgorithm, OID_RSA_ENCRYPTION);
  assert.deepEqual(Buffer.from(buildEnvelope(env)), der);
});

test('wrap writes Go\'s non-standard details and unwraps again', async () => {
  const a = await makeCert('recipient-a', 'rsa', '0a');
  const b = await makeCert('recipient-b', 'rsa', '7f01');
  const secret = Buffer.from('{"symkey":"x","digest":"","cipheroptions":{}}');
  const der = Buffer.from(wrapPkcs7(secret, [{ certificate: a.certificate, source: 'a' }, { certificate: b.certificate, source: 'b' }]));
  // GCM params: element tag 0x10 (primitive), inner SEQUENCE, nonce [4] (0x84), INTEGER 16.
  const gcmOid = Buffer.from('060960864801650304010610133011840c', 'hex');
  const at = der.indexOf(gcmOid);
  assert.ok(at > 0, 'aes128-GCM OID followed by 10 13 30 11 84 0c');
  assert.deepEqual([...der.subarray(at + gcmOid.length + 12, at + gcmOid.length + 15)], [0x02, 0x01, 0x10]);
  // encryptedContent [0] constructed around an OCTET STRING, as skopeo 1.9.3 writes.
  assert.equal(der[at + gcmOid.length + 15], 0xa0);
  // rsaEncryption without NULL parameters: 30 0b 06 09 …01 01 01 04 (the OCTET STRING follows at once).
  assert.ok(der.includes(Buffer.from('300b06092a864886f70d0101010482', 'hex')));
  const env = parseEnvelope(der);
  assert.equal(env.recipients.length, 2);
  for (const r of [a, b]) {
    const out = unwrapPkcs7(der, { privateKeys: [r.privateKey], certificates: [{ certificate: r.certificate, source: 'c' }] });
    assert.deepEqual(Buffer.from(out ?? []), secret);
  }
  // Keys and certificates may come in any order and from other files.
  const out = unwrapPkcs7(der, { privateKeys: [a.privateKey, b.privateKey], certificates: [{ certificate: b.certificate, source: 'b' }] });
  assert.deepEqual(Buffer.from(out ?? []), secret);
  assert.deepEqual(describePkcs7Recipients(der), ['pkcs7:issuer=CN=recipient-a serial=0a', 'pkcs7:issuer=CN=recipient-b serial=7f01']);
});

test('the primitive [0] encryptedContent of newer ocicrypt (smallstep/pkcs7) is read too', async () => {
  const a = await makeCert('prim');
  const der = Buffer.from(wrapPkcs7(Buffer.from('hello'), [{ certificate: a.certificate, source: 'a' }]));
  const info = AsnConvert.parse(der, ContentInfo);
  const env = AsnConvert.parse(info.content, EnvelopedData);
  const content = env.encryptedContentInfo.encryptedContent?.constructedValue?.[0];
  assert.ok(content);
  env.encryptedContentInfo.encryptedContent = new EncryptedContent({ value: content });
  const prim = Buffer.from(AsnConvert.serialize(new ContentInfo({ contentType: info.contentType, content: AsnConvert.serialize(env) })));
  assert.equal(prim.includes(Buffer.concat([Buffer.from([0x80, content.byteLength]), Buffer.from(content.buffer)])), true);
  const out = unwrapPkcs7(prim, { privateKeys: [a.privateKey], certificates: [{ certificate: a.certificate, source: 'a' }] });
  assert.equal(Buffer.from(out ?? []).toString(), 'hello');
});

test('a key without its certificate, a certificate without its key: one clear reason each', async () => {
  const { certificate, privateKey } = vectorKeys('pkcs7');
  const der = vectorEntry('pkcs7');
  assertCode(() => unwrapPkcs7(der, { privateKeys: [privateKey], certificates: [] }), 'NO_SUITABLE_KEY', /no x509 certificates found/);
  assertCode(() => unwrapPkcs7(der, { privateKeys: [], certificates: [{ certificate, source: 'c' }] }), 'NO_SUITABLE_KEY', /private key of the recipient certificate CN=ocicrypt-pkcs7-test .*was not given/);
  const other = await makeCert('someone-else');
  assert.equal(unwrapPkcs7(der, { privateKeys: [other.privateKey], certificates: [{ certificate: other.certificate, source: 'o' }] }), undefined);
});

test('corrupt CMS is INVALID_ENCRYPTION_METADATA; a changed encrypted key or content just does not open', () => {
  const { certificate, privateKey } = vectorKeys('pkcs7');
  const material = { privateKeys: [privateKey], certificates: [{ certificate, source: 'c' }] };
  const der = vectorEntry('pkcs7');
  assertCode(() => unwrapPkcs7(Buffer.from('not der at all'), material), 'INVALID_ENCRYPTION_METADATA', /PKCS#7/);
  assertCode(() => unwrapPkcs7(der.subarray(0, 300), material), 'INVALID_ENCRYPTION_METADATA', /PKCS#7/);
  for (const offset of [200, der.length - 5]) {
    const bad = Buffer.from(der);
    bad[offset] = (bad[offset] ?? 0) ^ 0x01;
    assert.equal(unwrapPkcs7(bad, material), undefined, `flipped byte ${offset}`);
  }
  assert.deepEqual(describePkcs7Recipients(Buffer.from('junk')), ['[pkcs7]']);
});

test('an EC certificate is refused as a recipient with ocicrypt\'s reason', async () => {
  const ec = await makeCert('ec', 'ec');
  assertCode(() => wrapPkcs7(Buffer.from('x'), [{ certificate: ec.certificate, source: 'ec.pem' }]), 'INVALID_RECIPIENT', /^ec\.pem: pkcs7: only RSA keys are supported/);
});

test('PKCS#1 v1.5 unpadding: the real key for good padding, a stable pseudo-random one for bad', () => {
  const { privateKey, publicKey } = generateKeyPairSync('rsa', { modulusLength: 2048 });
  const cek = Buffer.from('00112233445566778899aabbccddeeff', 'hex');
  assert.deepEqual(rsaPkcs1DecryptKey(privateKey, rsaPkcs1Encrypt(publicKey, cek), 16), cek);
  // Good padding but the wrong length: rejected implicitly.
  const long = rsaPkcs1Encrypt(publicKey, Buffer.alloc(24, 7));
  const r1 = rsaPkcs1DecryptKey(privateKey, long, 16);
  assert.equal(r1.length, 16);
  assert.deepEqual(rsaPkcs1DecryptKey(privateKey, long, 16), r1, 'deterministic per ciphertext');
  // Not PKCS#1 at all (raw block starting 00 01): rejected implicitly, different stand-in.
  const raw = Buffer.alloc(256, 0xff);
  raw[0] = 0;
  raw[1] = 1;
  const notType2 = publicEncrypt({ key: publicKey, padding: constants.RSA_NO_PADDING }, raw);
  const r2 = rsaPkcs1DecryptKey(privateKey, notType2, 16);
  assert.equal(r2.length, 16);
  assert.notDeepEqual(r2, r1);
  // A ciphertext longer than the modulus, too.
  assert.equal(rsaPkcs1DecryptKey(privateKey, Buffer.alloc(300, 1), 16).length, 16);
});

test('recipients remove: the RecipientInfo with the certificate\'s issuer + serial goes, the others still open', async () => {
  const a = await makeCert('keep-me', 'rsa', '11');
  const b = await makeCert('drop-me', 'rsa', '22');
  const dir = mkdtempSync(join(tmpdir(), 'p7rm-'));
  writeFileSync(join(dir, 'b.pem'), b.pem);
  writeFileSync(join(dir, 'a.der'), a.certificate.raw);
  const secret = Buffer.from('the private options');
  const der = wrapPkcs7(secret, [{ certificate: a.certificate, source: 'a' }, { certificate: b.certificate, source: 'b' }]);
  const ctx = { config: { env: {} } };
  const target = await pkcs7Scheme.parseRecipient(join(dir, 'b.pem'), ctx);
  assert.equal(target.label, 'pkcs7:issuer=CN=drop-me serial=22');
  const res = await pkcs7Scheme.removeRecipients('pkcs7', der, [target], ctx);
  assert.deepEqual(res.removed, ['pkcs7:issuer=CN=drop-me serial=22']);
  assert.equal(res.remaining, 1);
  assert.ok(res.entry);
  assert.deepEqual(await pkcs7Scheme.describe('pkcs7', res.entry), ['pkcs7:issuer=CN=keep-me serial=11']);
  const open = (r: typeof a) => unwrapPkcs7(res.entry!, { privateKeys: [r.privateKey], certificates: [{ certificate: r.certificate, source: 'c' }] });
  assert.deepEqual(Buffer.from(open(a) ?? []), secret);
  assert.equal(open(b), undefined);
  // Removing the last one leaves nothing (the caller refuses that); a non-recipient changes nothing.
  const last = await pkcs7Scheme.removeRecipients('pkcs7', res.entry, [await pkcs7Scheme.parseRecipient(join(dir, 'a.der'), ctx)], ctx);
  assert.equal(last.entry, undefined);
  assert.equal(last.remaining, 0);
  const none = await pkcs7Scheme.removeRecipients('pkcs7', res.entry, [target], ctx);
  assert.deepEqual(none, { entry: res.entry, removed: [], remaining: 1 });
});
