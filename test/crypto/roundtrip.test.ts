// Encrypt → wrap → unwrap → decrypt with our own keys, for several sizes and
// recipient mixes; tampering and wrong keys are detected.
import assert from 'node:assert/strict';
import { randomBytes } from 'node:crypto';
import { mkdtemp } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Readable } from 'node:stream';
import { buffer } from 'node:stream/consumers';
import { pipeline } from 'node:stream/promises';
import { before, test } from 'node:test';
import { isImgsealError } from '../../src/errors.js';
import {
  buildEncryptionAnnotations,
  generateKeyPair,
  LayerDecryptor,
  LayerEncryptor,
  newLayerSecrets,
  parsePrivateOptions,
  parsePublicOptions,
  parseRecipient,
  privateKeyEntry,
  privateOptionsFor,
  publicOptionsFor,
  readEncryptionAnnotations,
  resolveLayerCipherParams,
  serializePrivateOptions,
  serializePublicOptions,
  writeKeyPair,
  type DecryptionKey,
  type Recipient,
} from '../../src/crypto/index.js';
import { fingerprintOf, jwe } from './fixtures.js';

interface Party {
  recipient: Recipient;
  key: DecryptionKey;
}
const parties: Record<string, Party> = {};

before(async () => {
  const dir = await mkdtemp(join(tmpdir(), 'imgseal-rt-'));
  const kinds = { rsaA: { type: 'rsa', bits: 2048 }, rsaB: { type: 'rsa', bits: 2048 }, ec256: { type: 'ec', curve: 'P-256' }, ec384: { type: 'ec', curve: 'P-384' } } as const;
  for (const [name, opts] of Object.entries(kinds)) {
    const pair = await generateKeyPair(opts);
    await writeKeyPair(join(dir, `${name}.pem`), join(dir, `${name}.pub.pem`), pair);
    parties[name] = { recipient: await parseRecipient(`jwe:${join(dir, `${name}.pub.pem`)}`), key: privateKeyEntry(name, pair.privateKey) };
  }
});

/** Chunks the input so the streams see several writes. */
function source(data: Buffer, chunk = 4099): Readable {
  const parts: Buffer[] = [];
  for (let i = 0; i < data.length; i += chunk) parts.push(data.subarray(i, i + chunk));
  return Readable.from(parts);
}

async function encrypt(plain: Buffer, recipients: Recipient[]) {
  const secrets = newLayerSecrets();
  const enc = new LayerEncryptor(secrets);
  const cipherParts: Buffer[] = [];
  await pipeline(source(plain), enc, async (s: AsyncIterable<Buffer>) => {
    for await (const c of s) cipherParts.push(c);
  });
  const ciphertext = Buffer.concat(cipherParts);
  const priv = serializePrivateOptions(privateOptionsFor(secrets, 'sha256:' + '0'.repeat(64)));
  const annotations = buildEncryptionAnnotations(serializePublicOptions(publicOptionsFor(enc.hmac)), new Map([['jwe', await jwe.wrap(priv, recipients)]]));
  return { ciphertext, annotations, priv };
}

async function decrypt(ciphertext: Buffer, annotations: Record<string, string>, key: DecryptionKey): Promise<Buffer> {
  const ann = readEncryptionAnnotations(annotations);
  const privBytes = await jwe.unwrap(ann.keys.get('jwe')![0]!, [key]);
  assert.ok(privBytes, `${key.source} unwraps`);
  const params = resolveLayerCipherParams(parsePublicOptions(ann.pubopts), parsePrivateOptions(privBytes));
  return buffer(source(ciphertext).pipe(new LayerDecryptor(params)));
}

const SIZES = [0, 1, 16, 10240, 1024 * 1024 + 7];
const MIXES: Record<string, string[]> = { one: ['rsaA'], two: ['rsaA', 'rsaB'], mixed: ['rsaB', 'ec256', 'ec384'], ec: ['ec384'] };

for (const [mix, names] of Object.entries(MIXES)) {
  test(`round trip, recipients ${mix}`, async () => {
    for (const size of SIZES) {
      const plain = randomBytes(size);
      const { ciphertext, annotations, priv } = await encrypt(plain, names.map((n) => parties[n]!.recipient));
      assert.equal(ciphertext.length, size, 'CTR: same length');
      if (size >= 16) assert.notDeepEqual(ciphertext.subarray(0, 16), plain.subarray(0, 16));
      for (const n of names) {
        assert.deepEqual(await decrypt(ciphertext, annotations, parties[n]!.key), plain, `${mix} ${size} ${n}`);
        const again = await jwe.unwrap(readEncryptionAnnotations(annotations).keys.get('jwe')![0]!, [parties[n]!.key]);
        assert.deepEqual(Buffer.from(again!), priv);
      }
    }
  });
}

test('JWE shape: flattened for one recipient, general for several; kid = fingerprint', async () => {
  const a = parties.rsaA!.recipient;
  const flat = JSON.parse(Buffer.from(await jwe.wrap(Buffer.from('x'), [a])).toString());
  assert.deepEqual(Object.keys(flat), ['protected', 'encrypted_key', 'iv', 'ciphertext', 'tag']);
  const ph = JSON.parse(Buffer.from(flat.protected, 'base64url').toString());
  assert.deepEqual(ph, { alg: 'RSA-OAEP', enc: 'A256GCM', kid: fingerprintOf(a) });
  const e = parties.ec256!.recipient;
  const general = JSON.parse(Buffer.from(await jwe.wrap(Buffer.from('x'), [a, e])).toString());
  assert.deepEqual(Object.keys(general), ['protected', 'recipients', 'iv', 'ciphertext', 'tag']);
  assert.deepEqual(JSON.parse(Buffer.from(general.protected, 'base64url').toString()), { enc: 'A256GCM' });
  assert.equal(general.recipients[1].header.alg, 'ECDH-ES+A256KW');
  assert.equal(general.recipients[1].header.epk.crv, 'P-256');
  assert.deepEqual(jwe.describeRecipients(Buffer.from(JSON.stringify(general))), [`jwe:${fingerprintOf(a)}`, `jwe:${fingerprintOf(e)}`]);
});

test('a flipped ciphertext byte fails the stream with HMAC_MISMATCH', async () => {
  const plain = randomBytes(50_000);
  const { ciphertext, annotations } = await encrypt(plain, [parties.ec256!.recipient]);
  for (const at of [0, 25_000, ciphertext.length - 1]) {
    const bad = Buffer.from(ciphertext);
    bad[at]! ^= 0x01;
    await assert.rejects(decrypt(bad, annotations, parties.ec256!.key), (err) => isImgsealError(err, 'HMAC_MISMATCH'));
  }
  // A truncated blob is caught the same way.
  await assert.rejects(decrypt(ciphertext.subarray(0, 100), annotations, parties.ec256!.key), (err) => isImgsealError(err, 'HMAC_MISMATCH'));
});

test('the wrong key unwraps to undefined', async () => {
  const { annotations } = await encrypt(randomBytes(10), [parties.rsaA!.recipient, parties.ec256!.recipient]);
  const entry = readEncryptionAnnotations(annotations).keys.get('jwe')![0]!;
  assert.equal(await jwe.unwrap(entry, [parties.rsaB!.key, parties.ec384!.key]), undefined);
  assert.equal(await jwe.unwrap(entry, []), undefined);
  // The fitting key is found among others.
  assert.ok(await jwe.unwrap(entry, [parties.rsaB!.key, parties.ec256!.key]));
});

test('reading hmac before the stream finished is an error', () => {
  const enc = new LayerEncryptor(newLayerSecrets());
  assert.throws(() => enc.hmac, (err) => isImgsealError(err, 'INTERNAL'));
});
