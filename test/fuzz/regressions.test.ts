// The counterexamples the fuzzer found (and the ones of the same class found while
// fixing them), as plain tests: each failed with a TypeError, a RangeError, a hang or a
// multi-line message before its fix, and must now fail with one ImgsealError line.
import assert from 'node:assert/strict';
import { generateKeyPairSync } from 'node:crypto';
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { test } from 'node:test';
import { errorLine, MAX_ERROR_LINE } from '../../src/cli/exit-codes.js';
import { parseRecipient } from '../../src/crypto/wrap/recipients.js';
import { parsePublicOptions } from '../../src/crypto/cipher/options.js';
import { isImgsealError, type ErrorCode } from '../../src/errors.js';
import { parseImageConfig } from '../../src/model/config.js';
import { parseDescriptor } from '../../src/model/descriptor.js';
import { parseDigest } from '../../src/model/digest.js';
import { parseManifest } from '../../src/model/manifest.js';
import { indexTar } from '../../src/transports/archive/tar-index.js';
import { parseAuthFileText } from '../../src/http/auth-file.js';
import { nextPage } from '../../src/transports/docker/tags.js';
import { parseImageName } from '../../src/transports/transports.js';
import { parseKeyProviderConfig } from '../../src/crypto/wrap/provider/config.js';
import { privateKeyEntry } from '../../src/crypto/keys/material.js';
import { describeJweRecipients } from '../../src/crypto/wrap/jwe/describe.js';
import { unwrapJwe } from '../../src/crypto/wrap/jwe/unwrap.js';
import { parseStrictJson, StrictJsonError } from '../../src/util/strict-json.js';
import { buildTar } from './arbitraries/tar.js';

const D = `sha256:${'ab'.repeat(32)}`;
const MT = 'application/vnd.oci.image.manifest.v1+json';

function failsWith(code: ErrorCode, fn: () => unknown, pattern?: RegExp): void {
  assert.throws(fn, (e: unknown) => {
    assert.ok(isImgsealError(e, code), `expected ImgsealError ${code}, got ${String(e)}`);
    if (pattern) assert.match(e.message, pattern);
    // eslint-disable-next-line no-control-regex -- finding control characters is the point
    assert.doesNotMatch(errorLine(e), /[\u0000-\u001f]/);
    return true;
  });
}

async function rejectsWith(code: ErrorCode, p: Promise<unknown>, pattern?: RegExp): Promise<void> {
  await assert.rejects(p, (e: unknown) => {
    assert.ok(isImgsealError(e, code), `expected ImgsealError ${code}, got ${String(e)}`);
    if (pattern) assert.match(e.message, pattern);
    return true;
  });
}

const index = (platform: unknown): Buffer =>
  Buffer.from(JSON.stringify({ schemaVersion: 2, mediaType: 'application/vnd.docker.distribution.manifest.list.v2+json', manifests: [{ mediaType: MT, digest: D, size: 528, platform }] }));

test('an index entry whose platform is not {os, architecture} is refused (was a TypeError in platform matching)', () => {
  // The fuzzer's counterexample: the platform wrapped in another object.
  failsWith('MANIFEST_INVALID', () => parseManifest(index({ value: { architecture: 'amd64', os: 'linux' } })), /platform needs os and architecture/);
  failsWith('MANIFEST_INVALID', () => parseManifest(index('linux/amd64')), /platform is not an object/);
  failsWith('MANIFEST_INVALID', () => parseManifest(index({ os: 'linux', architecture: 'arm', variant: 7 })), /variant/);
  failsWith('MANIFEST_INVALID', () => parseManifest(index({ os: 'linux', architecture: 'amd64', 'os.features': 'sse4' })), /os\.features/);
  assert.equal(parseManifest(index({ os: 'linux', architecture: 'arm', variant: 'v7', 'os.features': ['x'] })).kind, 'index');
});

test('descriptor fields are type-checked: urls, data, artifactType, annotations', () => {
  const d = { mediaType: MT, digest: D, size: 1 };
  failsWith('MANIFEST_INVALID', () => parseDescriptor({ ...d, urls: 'https://x' }, 'd'), /urls/);
  failsWith('MANIFEST_INVALID', () => parseDescriptor({ ...d, data: 5 }, 'd'), /data/);
  failsWith('MANIFEST_INVALID', () => parseDescriptor({ ...d, artifactType: [] }, 'd'), /artifactType/);
  failsWith('MANIFEST_INVALID', () => parseDescriptor({ ...d, annotations: ['a'] }, 'd'), /annotations/);
});

test('a config whose rootfs is null is refused (was a TypeError)', () => {
  failsWith('MANIFEST_INVALID', () => parseImageConfig(Buffer.from('{"architecture":"amd64","os":"linux","rootfs":null}')), /rootfs is not an object/);
  failsWith('MANIFEST_INVALID', () => parseImageConfig(Buffer.from('{"architecture":5,"rootfs":{"type":"layers","diff_ids":[]}}')), /architecture/);
});

test('a manifest nesting thousands of levels is refused before it can overflow the stack when written again', () => {
  const deep = `${'{"a":'.repeat(5000)}1${'}'.repeat(5000)}`;
  const text = `{"schemaVersion":2,"mediaType":"${MT}","config":{"mediaType":"x","digest":"${D}","size":1},"layers":[],"x":${deep}}`;
  failsWith('MANIFEST_INVALID', () => parseManifest(Buffer.from(text)), /nests deeper than/);
  // Brackets inside strings do not count.
  const shallow = `{"schemaVersion":2,"mediaType":"${MT}","config":{"mediaType":"x","digest":"${D}","size":1},"layers":[],"x":"${'['.repeat(5000)}"}`;
  assert.equal(parseManifest(Buffer.from(shallow)).kind, 'manifest');
});

test('a descriptor whose digest is a deeply nested value is refused without a RangeError', () => {
  const deep = JSON.parse(`${'[{"a":'.repeat(3000)}1${'}]'.repeat(3000)}`) as unknown;
  failsWith('MANIFEST_INVALID', () => parseDescriptor({ mediaType: MT, digest: deep, size: 1 }, 'config'), /invalid digest \(a list\)/);
});

test('error lines escape control characters and stay short, whatever the input quoted', () => {
  // The fuzzer's counterexample: a NUL before an otherwise valid digest.
  failsWith('MANIFEST_INVALID', () => parseDigest(`\u0000sha256:${'0'.repeat(64)}`));
  try {
    parseDigest(`sha256:\n\u001b[2Jx`);
    assert.fail('parsed');
  } catch (e) {
    assert.equal(errorLine(e), 'invalid digest "sha256:\\n\\u001b[2Jx"');
  }
  for (const fn of [
    () => parseImageName(`docker://${'a.'.repeat(5000)}/x`),
    () => parseManifest(Buffer.from(`{"schemaVersion":"${'a'.repeat(5000)}","layers":[],"config":{}}`)),
    () => parsePublicOptions(Buffer.from(`{"cipher":"${'A'.repeat(5000)}","hmac":"AA=="}`)),
  ]) {
    try {
      fn();
      assert.fail('parsed');
    } catch (e) {
      assert.ok(isImgsealError(e), String(e));
      assert.ok(errorLine(e).length <= MAX_ERROR_LINE + 40, `line of ${errorLine(e).length} characters`);
    }
  }
});

test('a pax header with a negative or non-decimal size is refused (was a RangeError, or a loop moving backwards)', async () => {
  const dir = await mkdtemp(join(tmpdir(), 'imgseal-fuzz-regress-'));
  try {
    const file = join(dir, 'a.tar');
    for (const size of ['-1', '-512', '1e3', '0x10', '99999999999999999999']) {
      const entries = [
        { name: 'x', typeflag: 'x', data: new Uint8Array(0), linkname: '', sizeField: null, pax: [{ key: 'size', value: size, lengthDelta: 0 }], gnuLongName: null, ustarPrefix: null, breakChecksum: false },
        { name: 'manifest.json', typeflag: '0', data: Buffer.from('{}'), linkname: '', sizeField: null, pax: null, gnuLongName: null, ustarPrefix: null, breakChecksum: false },
      ];
      await writeFile(file, buildTar(entries, { endBlocks: 2, cutAt: null, garbage: new Uint8Array(0) }));
      await rejectsWith('MANIFEST_INVALID', indexTar(file), /invalid size .* in a pax header/);
    }
  } finally {
    await rm(dir, { recursive: true, force: true });
  }
});

test('a Link header naming an invalid URL is a REGISTRY_ERROR (was a TypeError from new URL)', () => {
  failsWith('REGISTRY_ERROR', () => nextPage('<http://[>; rel="next"', '/v2/a/tags/list', 'https://r.example'), /invalid next page/);
  assert.equal(nextPage('</v2/a/tags/list?last=b>; rel="next"', '/v2/a/tags/list', 'https://r.example'), '/v2/a/tags/list?last=b');
});

test('auth files with entries of the wrong types are refused, naming the file (were TypeErrors)', () => {
  failsWith('INVALID_ARGUMENT', () => parseAuthFileText('{"auths":{"r.example":null}}', '/x/auth.json'), /\/x\/auth\.json: entry "r\.example" is not an object/);
  failsWith('INVALID_ARGUMENT', () => parseAuthFileText('{"auths":{"r.example":{"auth":5}}}', '/x/auth.json'), /"auth" is not a string/);
  failsWith('INVALID_ARGUMENT', () => parseAuthFileText('{"credHelpers":{"r.example":{}}}', '/x/auth.json'), /credHelpers/);
  failsWith('INVALID_ARGUMENT', () => parseAuthFileText('{"credsStore":1}', '/x/auth.json'), /credsStore/);
  assert.deepEqual(parseAuthFileText('{"auths":null,"HttpHeaders":{"a":"b"}}', '/x/auth.json'), { auths: null, HttpHeaders: { a: 'b' } });
});

test('a public JWK that Node imports but jose cannot export, or whose kty is an object, is INVALID_RECIPIENT', async () => {
  const dir = await mkdtemp(join(tmpdir(), 'imgseal-fuzz-regress-'));
  try {
    const file = join(dir, 'k.jwk');
    // The fuzzer's counterexamples: an empty modulus; a kty object whose toString is no function.
    await writeFile(file, '{"kty":"RSA","n":"","e":"AQAB"}');
    await rejectsWith('INVALID_RECIPIENT', parseRecipient(`jwe:${file}`), /not a public key/);
    await writeFile(file, '{"kty":{"toString":0},"n":"AQAB","e":"AQAB"}');
    await rejectsWith('INVALID_RECIPIENT', parseRecipient(`jwe:${file}`), /JWK kty \(a object\)/);
  } finally {
    await rm(dir, { recursive: true, force: true });
  }
});

test('strict JSON (key-provider configs) nesting thousands of levels is refused, not a stack overflow', () => {
  // The fuzzer's counterexample had the key-providers entry nested some thousand objects deep.
  const deep = `{"key-providers":{"a":${'{"a":'.repeat(20_000)}1${'}'.repeat(20_000)}}}`;
  failsWith('INVALID_CONFIG', () => parseKeyProviderConfig(deep, 'ocicrypt.json'), /nested deeper than 64 levels/);
  assert.throws(() => parseStrictJson(`${'['.repeat(65)}${']'.repeat(65)}`), StrictJsonError);
  assert.deepEqual(parseStrictJson(`${'['.repeat(64)}${']'.repeat(64)}`), JSON.parse(`${'['.repeat(64)}${']'.repeat(64)}`));
});

test('a JWE entry with more than 256 recipients is refused before any key is tried (was seconds per entry)', async () => {
  // The fuzzer's counterexample repeated the vector's recipients some hundred times.
  const recipients = Array.from({ length: 257 }, () => ({ header: { alg: 'RSA-OAEP' }, encrypted_key: 'AAAA' }));
  const entry = Buffer.from(JSON.stringify({ protected: 'eyJlbmMiOiJBMjU2R0NNIn0', recipients, iv: 'AAAA', ciphertext: 'AAAA', tag: 'AAAA' }));
  const key = generateKeyPairSync('rsa', { modulusLength: 2048 }).privateKey;
  await rejectsWith('INVALID_ENCRYPTION_METADATA', unwrapJwe(entry, [privateKeyEntry('k', key)]), /257 recipients; more than 256 are refused/);
  assert.deepEqual(describeJweRecipients(entry), ['[jwe]']);
});
