// Every key file of the jwe-rsa2048 and jwe-ec-p256 vectors: accepted formats
// unwrap the vector, rejected/ignored ones fail with a clear message and code.
import assert from 'node:assert/strict';
import { mkdtemp, writeFile } from 'node:fs/promises';
import { closeSync, openSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { test } from 'node:test';
import { isImgsealError, type ErrorCode } from '../../src/errors.js';
import { CERTIFICATES_KIND, certificatesOf, loadDecryptionKey, parseRecipient, privateKeyOf, readEncryptionAnnotations, type JweRecipientMaterial } from '../../src/crypto/index.js';
import { PGP_SECRET_KEYS_KIND, type PgpSecretKeysMaterial } from '../../src/crypto/wrap/pgp/index.js';
import { encLayers, expected, fingerprintOf, jwe, keyFiles, keyPath } from './fixtures.js';

async function assertUnwraps(kase: string, spec: string): Promise<void> {
  const entry = readEncryptionAnnotations(encLayers(kase)[0]!.annotations).keys.get('jwe')![0]!;
  const key = await loadDecryptionKey(spec);
  const out = await jwe.unwrap(entry, [key]);
  assert.ok(out, `${spec} unwraps`);
  assert.equal(Buffer.from(out).toString('utf8'), expected(kase).layers[0]!.privopts_json);
}

async function assertFails(p: Promise<unknown>, code: ErrorCode, message: RegExp): Promise<void> {
  await assert.rejects(p, (err: unknown) => {
    assert.ok(isImgsealError(err, code), `expected ${code}, got ${String(err)}`);
    assert.match(err.message, message);
    assert.ok(!err.message.includes('\n'), 'one line');
    return true;
  });
}

const ACCEPTED: Record<string, string[]> = {
  'jwe-rsa2048': ['rsa1_priv.pem', 'rsa1_priv.jwk', 'rsa1_priv_pkcs1.pem', 'rsa1_priv_pkcs1.der', 'rsa1_priv_pkcs8.der', 'rsa1_priv_enc_legacy.pem:secret', 'rsa1_priv_enc_legacy.pem:pass=secret', 'rsa1_priv_enc_pkcs8.pem:secret'],
  'jwe-ec-p256': ['ec_p256_priv.pem', 'ec_p256_priv.jwk', 'ec_p256_priv_sec1.der'],
};

for (const [kase, files] of Object.entries(ACCEPTED)) {
  for (const f of files) test(`${kase}: ${f} decrypts`, () => assertUnwraps(kase, keyPath(kase, f)));
}

test('every private key file of the two vectors is covered', () => {
  const covered = new Set([...Object.values(ACCEPTED).flat().map((f) => f.split(':')[0]), 'ec_p256_priv_sec1_IGNORED.pem']);
  for (const kase of Object.keys(ACCEPTED)) {
    for (const f of keyFiles(kase).filter((n) => n.includes('_priv'))) assert.ok(covered.has(f), f);
  }
});

test('password from file= (trailing newline tolerated) and fd=', async () => {
  const dir = await mkdtemp(join(tmpdir(), 'imgseal-pw-'));
  const pwFile = join(dir, 'pw');
  await writeFile(pwFile, 'secret\n');
  await assertUnwraps('jwe-rsa2048', `${keyPath('jwe-rsa2048', 'rsa1_priv_enc_legacy.pem')}:file=${pwFile}`);
  const fd = openSync(pwFile, 'r');
  try {
    await assertUnwraps('jwe-rsa2048', `${keyPath('jwe-rsa2048', 'rsa1_priv_enc_pkcs8.pem')}:fd=${fd}`);
  } finally {
    closeSync(fd);
  }
});

test('encrypted keys: missing and wrong password (password never echoed)', async () => {
  for (const f of ['rsa1_priv_enc_legacy.pem', 'rsa1_priv_enc_pkcs8.pem']) {
    const p = keyPath('jwe-rsa2048', f);
    await assertFails(loadDecryptionKey(p), 'KEY_PASSWORD', /: missing password for encrypted private key/);
    await assertFails(loadDecryptionKey(`${p}:hunter2x`), 'KEY_PASSWORD', /: wrong password: could not decrypt private key$/);
    await loadDecryptionKey(`${p}:hunter2x`).catch((e: Error) => assert.ok(!e.message.includes('hunter2x')));
  }
});

test('rejected decryption key files name the file and the fix', async () => {
  const ec = (f: string) => keyPath('jwe-ec-p256', f);
  const rsa = (f: string) => keyPath('jwe-rsa2048', f);
  await assertFails(loadDecryptionKey(ec('ec_p256_priv_sec1_IGNORED.pem')), 'INVALID_KEY', /ec_p256_priv_sec1_IGNORED\.pem: SEC1 "EC PRIVATE KEY" PEM .*openssl pkcs8 -topk8 -nocrypt/);
  await assertFails(loadDecryptionKey(rsa('rsa1_pub.jwk')), 'INVALID_KEY', /rsa1_pub\.jwk: is a public JWK/);
  await assertFails(loadDecryptionKey(ec('ec_p256_pub.jwk')), 'INVALID_KEY', /is a public JWK/);
  for (const f of ['rsa1_pub.pem', 'rsa1_pub.der', 'rsa1_pub_pkcs1_REJECTED.pem']) {
    await assertFails(loadDecryptionKey(rsa(f)), 'INVALID_KEY', new RegExp(`${f.replace('.', '\\.')}: is a public key`));
  }
  await assertFails(loadDecryptionKey(keyPath('pgp', 'pgp_pubring.gpg')), 'INVALID_KEY', /is an OpenPGP public key/);
  await assertFails(loadDecryptionKey(keyPath('jwe-rsa2048', '../expected.json')), 'INVALID_KEY', /^unidentified private key in file .*expected\.json/);
  await assertFails(loadDecryptionKey('/nonexistent/key.pem'), 'INVALID_KEY', /^Unable to read file: \/nonexistent\/key\.pem: no such file$/);
  await assertFails(loadDecryptionKey('/nonexistent/key.pem:pass=a:b'), 'INVALID_KEY', /^Unable to read file: \/nonexistent\/key\.pem: no such file$/);
});

test('certificates and binary OpenPGP keyrings load as their own kinds', async () => {
  const cert = await loadDecryptionKey(keyPath('pkcs7', 'pkcs7_cert.pem'));
  assert.equal(cert.kind, CERTIFICATES_KIND);
  assert.equal(privateKeyOf(cert), undefined);
  assert.equal(certificatesOf([cert]).length, 1);
  assert.match(certificatesOf([cert])[0]!.subject, /ocicrypt-pkcs7-test/);
  // The pgp scheme claims OpenPGP secret keys, binary and armored (ocicrypt ignores armored ones).
  for (const f of ['pgp_secring.gpg', 'pgp_secring_armored_IGNORED.asc']) {
    const pgp = await loadDecryptionKey(keyPath('pgp', f));
    assert.equal(pgp.kind, PGP_SECRET_KEYS_KIND, f);
    assert.deepEqual((pgp.material as PgpSecretKeysMaterial).keys.map((k) => k.getKeyID().toHex()), ['dcfacdea8ca2d0be'], f);
  }
});

test('recipients: accepted public key formats', async () => {
  for (const f of ['rsa1_pub.pem', 'rsa1_pub.der', 'rsa1_pub.jwk']) {
    const r = await parseRecipient(`jwe:${keyPath('jwe-rsa2048', f)}`);
    assert.equal(r.scheme, 'jwe');
    assert.equal((r.material as JweRecipientMaterial).publicKey.asymmetricKeyType, 'rsa');
    assert.match(fingerprintOf(r), /^[A-Za-z0-9_-]{43}$/);
    assert.equal(r.label, `jwe:${fingerprintOf(r)}`);
  }
  const ecJwk = await parseRecipient(`jwe:${keyPath('jwe-ec-p256', 'ec_p256_pub.jwk')}`);
  assert.equal((ecJwk.material as JweRecipientMaterial).jwkAlg, 'ECDH-ES+A256KW');
  const ecPem = await parseRecipient(`jwe:${keyPath('jwe-ec-p256', 'ec_p256_pub.pem')}`);
  assert.equal(fingerprintOf(ecPem), fingerprintOf(ecJwk));
});

test('recipients: rejected inputs', async () => {
  const rsa = (f: string) => `jwe:${keyPath('jwe-rsa2048', f)}`;
  await assertFails(parseRecipient(rsa('rsa1_pub_pkcs1_REJECTED.pem')), 'INVALID_RECIPIENT', /^File provided is not a public key: .*openssl rsa -RSAPublicKey_in/);
  await assertFails(parseRecipient(rsa('rsa1_priv.pem')), 'INVALID_RECIPIENT', /^File provided is not a public key: .*private key/);
  await assertFails(parseRecipient(rsa('rsa1_priv.jwk')), 'INVALID_RECIPIENT', /^File provided is not a public key: .*private JWK/);
  await assertFails(parseRecipient(`jwe:${keyPath('pkcs7', 'pkcs7_cert.pem')}`), 'INVALID_RECIPIENT', /^File provided is not a public key: .*X\.509 certificate/);
  await assertFails(parseRecipient('jwe:/nonexistent.pem'), 'INVALID_RECIPIENT', /^Unable to read file: \/nonexistent\.pem/);
  await assertFails(parseRecipient('nocolon'), 'INVALID_RECIPIENT', /^Invalid recipient format/);
  await assertFails(parseRecipient('foo:bar'), 'INVALID_RECIPIENT', /^Provided protocol not recognized: foo$/);
  await assertFails(parseRecipient('provider:x'), 'INVALID_RECIPIENT', /^key provider x is not configured \(OCICRYPT_KEYPROVIDER_CONFIG is not set\)$/);
  await assertFails(parseRecipient('pkcs7:/nonexistent.pem'), 'INVALID_RECIPIENT', /^Unable to read file: \/nonexistent\.pem/);
  await assertFails(parseRecipient(`pkcs7:${keyPath('jwe-rsa2048', 'rsa1_pub.pem')}`), 'INVALID_RECIPIENT', /^File provided is not an x509 cert: /);
  await assertFails(parseRecipient('pkcs11:/nonexistent.yaml'), 'INVALID_RECIPIENT', /^Unable to read file: \/nonexistent\.yaml/);
  const dir = await mkdtemp(join(tmpdir(), 'imgseal-jwk-'));
  const jwk = JSON.parse(await import('node:fs/promises').then((fs) => fs.readFile(keyPath('jwe-rsa2048', 'rsa1_pub.jwk'), 'utf8')));
  await writeFile(join(dir, 'a.jwk'), JSON.stringify({ ...jwk, alg: 'A128KW' }));
  await assertFails(parseRecipient(`jwe:${join(dir, 'a.jwk')}`), 'INVALID_RECIPIENT', /A128KW is an unsupported JWE key algorithm$/);
  await writeFile(join(dir, 'b.jwk'), JSON.stringify({ ...jwk, alg: 'ECDH-ES+A256KW' }));
  await assertFails(parseRecipient(`jwe:${join(dir, 'b.jwk')}`), 'INVALID_RECIPIENT', /cannot be used with a RSA-2048 key/);
});
