// Options JSON and annotation edge cases: Go-compatible leniency, strict validation.
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { isImgsealError } from '../../src/errors.js';
import {
  appendKeyEntry,
  buildEncryptionAnnotations,
  encryptionSchemes,
  parsePrivateOptions,
  parsePublicOptions,
  PUBOPTS_ANNOTATION,
  readEncryptionAnnotations,
  resolveLayerCipherParams,
  withoutEncryptionAnnotations,
  withEncryptionAnnotations,
} from '../../src/crypto/index.js';

const b64 = (n: number, fill = 1) => Buffer.alloc(n, fill).toString('base64');
const meta = (fn: () => unknown, msg: RegExp) => assert.throws(fn, (e) => isImgsealError(e, 'INVALID_ENCRYPTION_METADATA') && msg.test(e.message));
const json = (v: unknown) => Buffer.from(JSON.stringify(v));

test('private options: case-insensitive fields, unknown fields ignored', () => {
  const p = parsePrivateOptions(json({ SymKey: b64(32), DIGEST: 'sha256:x', CipherOptions: { nonce: b64(16) }, extra: 1 }));
  assert.equal(p.symkey.length, 32);
  assert.equal(p.digest, 'sha256:x');
  assert.equal(p.cipherOptions.nonce?.length, 16);
});

test('private options: validation', () => {
  meta(() => parsePrivateOptions(json({ symkey: b64(16) })), /^invalid key length of 16 bytes; need 32 bytes$/);
  meta(() => parsePrivateOptions(json({})), /^invalid key length of 0 bytes; need 32 bytes$/);
  meta(() => parsePrivateOptions(json({ symkey: 'not base64!' })), /symkey: not a base64 string/);
  meta(() => parsePrivateOptions(Buffer.from('{"symkey":')), /not valid JSON/);
  meta(() => parsePrivateOptions(json([1])), /not a JSON object/);
});

test('public options: validation', () => {
  meta(() => parsePublicOptions(undefined), /^no cipher type provided$/);
  meta(() => parsePublicOptions(json({ cipher: 'AES_256_CTR' })), /^unsupported cipher type: AES_256_CTR$/);
  meta(() => parsePublicOptions(json({ cipher: 'AES_256_CTR_HMAC_SHA256' })), /^HMAC is not provided for decryption process$/);
  const p = parsePublicOptions(json({ Cipher: 'AES_256_CTR_HMAC_SHA256', HMAC: b64(32), cipheroptions: null }));
  assert.deepEqual(p.cipherOptions, {});
});

test('nonce: public options first, then private; must be 16 bytes', () => {
  const priv = parsePrivateOptions(json({ symkey: b64(32), cipheroptions: { nonce: b64(16, 2) } }));
  const pubWith = parsePublicOptions(json({ cipher: 'AES_256_CTR_HMAC_SHA256', hmac: b64(32), cipheroptions: { nonce: b64(16, 3) } }));
  const pubWithout = parsePublicOptions(json({ cipher: 'AES_256_CTR_HMAC_SHA256', hmac: b64(32) }));
  assert.equal(resolveLayerCipherParams(pubWith, priv).nonce[0], 3);
  assert.equal(resolveLayerCipherParams(pubWithout, priv).nonce[0], 2);
  const noNonce = parsePrivateOptions(json({ symkey: b64(32) }));
  meta(() => resolveLayerCipherParams(pubWithout, noNonce), /no nonce/);
  const shortNonce = parsePrivateOptions(json({ symkey: b64(32), cipheroptions: { nonce: b64(12) } }));
  meta(() => resolveLayerCipherParams(pubWithout, shortNonce), /^invalid nonce length of 12 bytes; need 16 bytes$/);
});

test('annotations: build, read, append, remove', () => {
  const a = buildEncryptionAnnotations(Buffer.from('{}'), new Map([['jwe', Buffer.from('A')], ['pkcs7', Buffer.from('B')]]));
  assert.deepEqual(Object.keys(a).sort(), ['org.opencontainers.image.enc.keys.jwe', 'org.opencontainers.image.enc.keys.pkcs7', PUBOPTS_ANNOTATION]);
  const key = 'org.opencontainers.image.enc.keys.jwe';
  a[key] = appendKeyEntry(a[key], Buffer.from('second'));
  assert.equal(a[key], 'QQ==,c2Vjb25k');
  const r = readEncryptionAnnotations({ ...a, other: 'x' });
  assert.deepEqual(r.keys.get('jwe')?.map(String), ['A', 'second']);
  assert.equal(r.pubopts?.toString(), '{}');
  assert.deepEqual(encryptionSchemes(a), ['jwe', 'pkcs7']);
  assert.deepEqual(withoutEncryptionAnnotations({ ...a, keep: 'me' }), { keep: 'me' });
  assert.equal(withoutEncryptionAnnotations(a), undefined);
  assert.deepEqual(withEncryptionAnnotations({ keep: 'me', [key]: 'old' }, { [PUBOPTS_ANNOTATION]: 'p' }), { keep: 'me', [PUBOPTS_ANNOTATION]: 'p' });
  assert.equal(appendKeyEntry(undefined, Buffer.from('A')), 'QQ==');
});

test('annotations: bad base64 is reported', () => {
  meta(() => readEncryptionAnnotations({ 'org.opencontainers.image.enc.keys.jwe': 'QQ==,@@@' }), /^could not base64 decode the annotation/);
  meta(() => readEncryptionAnnotations({ [PUBOPTS_ANNOTATION]: 'QQ' }), /^could not base64 decode the annotation/);
});
