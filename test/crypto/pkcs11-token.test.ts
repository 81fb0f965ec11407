// The pkcs11 scheme on a real SoftHSM 2.6 token (test/peers/softhsm): the public
// key read from the token, RSA-OAEP wrap → unwrap on the token, a JWE addressed
// to the token's key opened through the token, and the refusals (wrong PIN,
// module not allowed, no policy, corrupt entry, a key too small for OAEP-SHA-256).
import assert from 'node:assert/strict';
import { createPublicKey, randomBytes } from 'node:crypto';
import { readFileSync, writeFileSync, mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { test } from 'node:test';
import { FlattenedEncrypt } from 'jose';
import { unwrapJweWithDecrypter } from '../../src/crypto/wrap/jwe/external-key.js';
import {
  describePkcs11Recipients,
  loadPkcs11PrivateKey,
  loadPkcs11Recipient,
  tokenOaepDecrypter,
  unwrapPkcs11,
  wrapPkcs11,
} from '../../src/crypto/wrap/pkcs11/scheme.js';
import { loadPkcs11Policy, type Pkcs11Policy } from '../../src/crypto/wrap/pkcs11/config.js';
import { isImgsealError } from '../../src/errors.js';
import { useSoftHsmToken } from '../testkit/softhsm.js';

const hsm = useSoftHsmToken();
// The 193-byte private options of a real layer (spec §3.6).
const PRIVOPTS = Buffer.from(
  `{"symkey":"${randomBytes(32).toString('base64')}","digest":"sha256:${randomBytes(32).toString('hex')}","cipheroptions":{"nonce":"${randomBytes(16).toString('base64')}"}}`,
);

function envFor(config: string): () => Pkcs11Policy {
  return () => loadPkcs11Policy({ OCICRYPT_CONFIG: config });
}

function assertFails(fn: () => unknown, code: string, re: RegExp, secret?: string): void {
  assert.throws(fn, (err: unknown) => {
    assert.ok(isImgsealError(err), String(err));
    assert.equal(err.code, code, err.message);
    assert.match(err.message, re);
    assert.equal(err.message.includes('\n'), false, 'one line');
    if (secret) assert.equal(err.message.includes(secret) || err.message.includes(`pin-value=${secret}`), false, 'the PIN is not in the message');
    return true;
  });
}

test('the recipient key read from the token is the token\'s public key', (t) => {
  const tok = hsm.get(t);
  if (!tok) return;
  const r = loadPkcs11Recipient(readFileSync(tok.pubYaml), tok.pubYaml, `pkcs11:${tok.pubYaml}`, envFor(tok.ocicryptConfig));
  const expected = createPublicKey(readFileSync(tok.pubkeyPem));
  assert.deepEqual(r.publicKey.export({ format: 'der', type: 'spki' }), expected.export({ format: 'der', type: 'spki' }));
  assert.ok(r.uri?.startsWith('pkcs11:token='));
});

test('pkcs11 wrap (key file and PEM recipient) → unwrap with the private key on the token', (t) => {
  const tok = hsm.get(t);
  if (!tok) return;
  const env = envFor(tok.ocicryptConfig);
  const viaYaml = loadPkcs11Recipient(readFileSync(tok.pubYaml), tok.pubYaml, 'a', env);
  const viaPem = loadPkcs11Recipient(readFileSync(tok.pubkeyPem), tok.pubkeyPem, 'b', env);
  const entry = wrapPkcs11(PRIVOPTS, [viaYaml, viaPem], 'sha1');
  const json = JSON.parse(Buffer.from(entry).toString('utf8'));
  assert.deepEqual(Object.keys(json), ['version', 'recipients']);
  assert.equal(json.recipients.length, 2);
  assert.deepEqual(Object.keys(json.recipients[0]), ['version', 'blob', 'hash']);
  assert.equal(json.recipients[0].hash, 'sha1');
  assert.equal(Buffer.from(json.recipients[0].blob, 'base64').length, 256);
  const key = loadPkcs11PrivateKey(readFileSync(tok.privYaml, 'utf8'), tok.privYaml, env);
  assert.deepEqual(Buffer.from(unwrapPkcs11(entry, [key]) ?? []), PRIVOPTS);
  // An old-style entry without "hash" is read as SHA-1.
  const noHash = Buffer.from(JSON.stringify({ version: 0, recipients: [{ version: 0, blob: json.recipients[1].blob }] }));
  assert.deepEqual(Buffer.from(unwrapPkcs11(noHash, [key]) ?? []), PRIVOPTS);
  assert.deepEqual(describePkcs11Recipients(entry), ['[pkcs11 RSA-OAEP-SHA1]', '[pkcs11 RSA-OAEP-SHA1]']);
});

test('a JWE (RSA-OAEP, A256GCM) addressed to the token\'s key opens through the token', async (t) => {
  const tok = hsm.get(t);
  if (!tok) return;
  const jwe = await new FlattenedEncrypt(PRIVOPTS).setProtectedHeader({ alg: 'RSA-OAEP', enc: 'A256GCM' }).encrypt(createPublicKey(readFileSync(tok.pubkeyPem)));
  const key = loadPkcs11PrivateKey(readFileSync(tok.privYaml, 'utf8'), tok.privYaml, envFor(tok.ocicryptConfig));
  const out = unwrapJweWithDecrypter(Buffer.from(JSON.stringify(jwe)), tokenOaepDecrypter(key));
  assert.deepEqual(Buffer.from(out ?? []), PRIVOPTS);
  // Tampered content: nothing is released.
  const bad = { ...jwe, ciphertext: Buffer.from(Buffer.from(jwe.ciphertext, 'base64url').map((b, i) => (i === 0 ? b ^ 1 : b))).toString('base64url') };
  assert.equal(unwrapJweWithDecrypter(Buffer.from(JSON.stringify(bad)), tokenOaepDecrypter(key)), undefined);
});

test('wrong PIN, module not allowed, no policy: one clear line each, no PIN shown', (t) => {
  const tok = hsm.get(t);
  if (!tok) return;
  const dir = mkdtempSync(join(tmpdir(), 'p11neg-'));
  const text = readFileSync(tok.privYaml, 'utf8');
  const wrongPin = join(dir, 'wrong-pin.yaml');
  writeFileSync(wrongPin, text.replace(`pin-value=${tok.pin}`, 'pin-value=wrongPIN-98765'));
  assertFails(() => loadPkcs11PrivateKey(readFileSync(wrongPin, 'utf8'), wrongPin, envFor(tok.ocicryptConfig)), 'PKCS11_PIN_INCORRECT', /refused the PIN \(CKR_PIN_INCORRECT/, 'wrongPIN-98765');

  const otherPolicy = join(dir, 'ocicrypt.conf');
  writeFileSync(otherPolicy, 'pkcs11:\n  module-directories: [/usr/lib/softhsm/]\n  allowed-module-paths: [/usr/lib/pkcs11/]\n');
  assertFails(() => loadPkcs11PrivateKey(text, tok.privYaml, envFor(otherPolicy)), 'PKCS11_MODULE_NOT_ALLOWED', /module-path '\/usr\/lib\/softhsm\/libsofthsm2\.so' is not allowed by policy/, `pin-value=${tok.pin}`);
  assertFails(() => loadPkcs11PrivateKey(text, tok.privYaml, () => loadPkcs11Policy({ HOME: dir })), 'PKCS11_MODULE_NOT_ALLOWED', /^No ocicrypt config file was found/, `pin-value=${tok.pin}`);
  assertFails(() => loadPkcs11PrivateKey(text, tok.privYaml, envFor(join(dir, 'missing.conf'))), 'PKCS11_MODULE_NOT_ALLOWED', /OCICRYPT_CONFIG names .*missing\.conf, which does not exist/);
  // module-name lookup through the policy's directories works, and is refused when not allowed.
  const byName = text.replace(/module-path=[^&"]*/, 'module-name=softhsm2');
  assert.ok(loadPkcs11PrivateKey(byName, 'by-name.yaml', envFor(tok.ocicryptConfig)));
  assertFails(() => loadPkcs11PrivateKey(byName, 'by-name.yaml', envFor(otherPolicy)), 'PKCS11_MODULE_NOT_ALLOWED', /module \/usr\/lib\/softhsm\/libsofthsm2\.so is not allowed/);
  // A key label the token does not have.
  const noKey = text.replace(`object=${tok.keyLabel}`, 'object=nope').replace(/id=%[0-9A-Fa-f]{2};/, '');
  assertFails(() => loadPkcs11PrivateKey(noKey, 'nokey.yaml', envFor(tok.ocicryptConfig)), 'PKCS11_ERROR', /no private key with label 'nope' on the token/, `pin-value=${tok.pin}`);
});

test('corrupt entries and impossible sizes are refused clearly', (t) => {
  const tok = hsm.get(t);
  if (!tok) return;
  const env = envFor(tok.ocicryptConfig);
  const key = loadPkcs11PrivateKey(readFileSync(tok.privYaml, 'utf8'), tok.privYaml, env);
  assertFails(() => unwrapPkcs11(Buffer.from('{"version":0,"recipients":'), [key]), 'INVALID_ENCRYPTION_METADATA', /PKCS#11 annotation entry: not JSON/);
  assertFails(() => unwrapPkcs11(Buffer.from('{"version":1,"recipients":[]}'), [key]), 'INVALID_ENCRYPTION_METADATA', /version 1/);
  assertFails(() => unwrapPkcs11(Buffer.from('{"version":0,"recipients":[{"version":0,"blob":"AAAA","hash":"md5"}]}'), [key]), 'INVALID_ENCRYPTION_METADATA', /unsupported OAEP hash "md5"/);
  // A flipped ciphertext byte just does not open (the token reports bad data, not a crash).
  const r = loadPkcs11Recipient(readFileSync(tok.pubkeyPem), tok.pubkeyPem, 'p', env);
  const entry = JSON.parse(Buffer.from(wrapPkcs11(PRIVOPTS, [r], 'sha1')).toString());
  const blob = Buffer.from(entry.recipients[0].blob, 'base64');
  blob[10] = (blob[10] ?? 0) ^ 0xff;
  entry.recipients[0].blob = blob.toString('base64');
  assert.equal(unwrapPkcs11(Buffer.from(JSON.stringify(entry)), [key]), undefined);
  // RSA-2048 + OAEP-SHA-256 cannot carry 193 bytes.
  assertFails(() => wrapPkcs11(PRIVOPTS, [r], 'sha256'), 'INVALID_RECIPIENT', /RSA-2048 key with OAEP-SHA256 can carry 190 bytes, the layer key options are 193; use OCICRYPT_OAEP_HASHALG=sha1/);
});
