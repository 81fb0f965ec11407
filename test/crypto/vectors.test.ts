// Every JWE test vector made by skopeo: unwrap with each key, parse and
// re-serialise both option documents byte-exactly, decrypt the layer blob.
import { createHash } from 'node:crypto';
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { Readable } from 'node:stream';
import { buffer } from 'node:stream/consumers';
import {
  LayerDecryptor,
  loadDecryptionKey,
  parsePrivateOptions,
  parsePublicOptions,
  readEncryptionAnnotations,
  resolveLayerCipherParams,
  serializePrivateOptions,
  serializePublicOptions,
} from '../../src/crypto/index.js';
import { blob, encLayers, expected, jwe, keyFiles, keyPath } from './fixtures.js';

const CASES = ['jwe-rsa2048', 'jwe-two-recipients', 'jwe-ec-p256', 'jwe-rsa-plus-ec', 'layer-select-last', 'zstd-recompressed', 'multi-scheme'];
// The keys that are JWE recipients in each case (pkcs7_priv.pem in multi-scheme is not).
const JWE_KEY = /^(rsa\d|ec_p256)_priv\.pem$/;

for (const kase of CASES) {
  test(`vector ${kase}`, async () => {
    const exp = expected(kase);
    const layers = encLayers(kase);
    const keyNames = keyFiles(kase).filter((f) => JWE_KEY.test(f));
    assert.ok(keyNames.length >= 1);
    let encryptedSeen = 0;
    for (const e of exp.layers) {
      const layer = layers[e.index];
      assert.ok(layer);
      assert.equal(layer.digest, e.digest);
      if (!e.privopts_json) {
        assert.equal(readEncryptionAnnotations(layer.annotations).keys.size, 0);
        continue;
      }
      encryptedSeen++;
      const ann = readEncryptionAnnotations(layer.annotations);
      assert.equal(ann.pubopts?.toString('utf8'), e.pubopts_json);
      const pub = parsePublicOptions(ann.pubopts);
      assert.equal(serializePublicOptions(pub).toString('utf8'), e.pubopts_json);

      const entries = ann.keys.get('jwe');
      assert.equal(entries?.length, 1);
      for (const name of keyNames) {
        const key = await loadDecryptionKey(keyPath(kase, name));
        const unwrapped: Uint8Array | undefined = await jwe.unwrap(entries![0]!, [key]);
        assert.ok(unwrapped, `${name} unwraps`);
        assert.equal(Buffer.from(unwrapped).toString('utf8'), e.privopts_json, name);
      }
      const privBytes: Buffer = Buffer.from(e.privopts_json, 'utf8');
      const priv = parsePrivateOptions(privBytes);
      assert.deepEqual(serializePrivateOptions(priv), privBytes);

      const dec = new LayerDecryptor(resolveLayerCipherParams(pub, priv));
      const plain = await buffer(Readable.from([blob(kase, layer.digest)]).pipe(dec));
      assert.equal(`sha256:${createHash('sha256').update(plain).digest('hex')}`, e.plaintext_blob_digest);
    }
    assert.ok(encryptedSeen >= 1);
  });
}

test('describeRecipients on skopeo output lists one entry per recipient', () => {
  const one = readEncryptionAnnotations(encLayers('jwe-rsa2048')[0]!.annotations).keys.get('jwe')![0]!;
  assert.deepEqual(jwe.describeRecipients(one), ['[jwe RSA-OAEP]']);
  const mixed = readEncryptionAnnotations(encLayers('jwe-rsa-plus-ec')[0]!.annotations).keys.get('jwe')![0]!;
  assert.deepEqual(jwe.describeRecipients(mixed), ['[jwe RSA-OAEP]', '[jwe ECDH-ES+A256KW]']);
});

test('a key of another vector does not unwrap (undefined, no throw)', async () => {
  const entry = readEncryptionAnnotations(encLayers('jwe-rsa2048')[0]!.annotations).keys.get('jwe')![0]!;
  const other = await loadDecryptionKey(keyPath('jwe-two-recipients', 'rsa2_priv.pem'));
  const ec = await loadDecryptionKey(keyPath('jwe-ec-p256', 'ec_p256_priv.pem'));
  assert.equal(await jwe.unwrap(entry, [other, ec]), undefined);
});
