/** ocicrypt metadata from the image: annotations, public and private options, JWE entries. */
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import fc from 'fast-check';
import { encryptionSchemes, readEncryptionAnnotations, withoutEncryptionAnnotations } from '../../../src/crypto/annotations.js';
import { parsePrivateOptions, parsePublicOptions, resolveLayerCipherParams } from '../../../src/crypto/cipher/options.js';
import { loadDecryptionKey } from '../../../src/crypto/keys/decryption-key.js';
import { describeJweRecipients } from '../../../src/crypto/wrap/jwe/describe.js';
import { unwrapJwe } from '../../../src/crypto/wrap/jwe/unwrap.js';
import type { DecryptionKey } from '../../../src/crypto/wrap/types.js';
import { OCICRYPT_FIXTURES, fixtureEncryptedLayers, fixtureKeyPath } from '../arbitraries/fixtures.js';
import { mutatedJson } from '../arbitraries/json.js';
import { base64Like, base64Of, digestLike } from '../arbitraries/text.js';
import { defineTarget } from '../harness/target.js';

const layers = fixtureEncryptedLayers();
const expectedLayers = ['jwe-rsa2048', 'jwe-ec-p256', 'jwe-two-recipients', 'jwe-rsa-plus-ec', 'zstd-recompressed'].flatMap(
  (c) => (JSON.parse(readFileSync(join(OCICRYPT_FIXTURES, c, 'expected.json'), 'utf8')) as { layers: { pubopts_json?: string; privopts_json?: string }[] }).layers,
);
const puboptsSeeds = expectedLayers.flatMap((l) => (l.pubopts_json ? [JSON.parse(l.pubopts_json)] : []));
const privoptsSeeds = expectedLayers.flatMap((l) => (l.privopts_json ? [JSON.parse(l.privopts_json)] : []));
const OPTION_KEYS = ['cipher', 'hmac', 'cipheroptions', 'nonce', 'symkey', 'digest', 'Cipher', 'HMAC', 'SymKey', 'CipherOptions'];
const optionValues = [base64Like, digestLike, fc.constantFrom('AES_256_CTR_HMAC_SHA256', 'AES_128_GCM', { nonce: 'AAAAAAAAAAAAAAAAAAAAAA==' })];
const pubopts = mutatedJson(puboptsSeeds, { values: optionValues, keys: OPTION_KEYS });
const privopts = mutatedJson(privoptsSeeds, { values: optionValues, keys: OPTION_KEYS });

export const annotationsTarget = defineTarget({
  name: 'annotations',
  about: 'readEncryptionAnnotations of layer annotations, then parsePublicOptions of the pubopts',
  codes: ['INVALID_ENCRYPTION_METADATA'],
  ciRuns: 1200,
  arbitrary: mutatedJson(
    layers.map((l) => l.annotations),
    {
      values: [base64Of(pubopts), base64Like, fc.constantFrom(',', ',,', 'YQ==,', ',YQ==', 'YQ==\nYg==', 'YQ')],
      keys: ['org.opencontainers.image.enc.pubopts', 'org.opencontainers.image.enc.keys.jwe', 'org.opencontainers.image.enc.keys.', 'org.opencontainers.image.enc.keys.pgp', 'org.opencontainers.image.enc.keys.provider.x'],
    },
  ),
  open: async () => ({
    run: (text: string) => {
      let v: unknown;
      try {
        v = JSON.parse(text);
      } catch {
        return;
      }
      // The input contract: descriptor annotations, which parseDescriptor checked are strings.
      if (typeof v !== 'object' || v === null || Array.isArray(v) || !Object.values(v).every((x) => typeof x === 'string')) return;
      const a = v as Record<string, string>;
      const enc = readEncryptionAnnotations(a);
      encryptionSchemes(a);
      withoutEncryptionAnnotations(a);
      if (enc.keys.size > 0) parsePublicOptions(enc.pubopts);
    },
  }),
});

export const cipherOptionsTarget = defineTarget({
  name: 'cipher-options',
  about: 'parsePublicOptions and parsePrivateOptions (Go-style JSON), then resolveLayerCipherParams',
  codes: ['INVALID_ENCRYPTION_METADATA'],
  ciRuns: 1500,
  arbitrary: fc.tuple(pubopts, privopts),
  open: async () => ({
    run: ([pub, priv]: [string, string]) => {
      const p = parsePublicOptions(Buffer.from(pub, 'utf8'));
      const q = parsePrivateOptions(Buffer.from(priv, 'utf8'));
      resolveLayerCipherParams(p, q);
    },
  }),
});

/** The JWE entries (base64-decoded) of every vector layer, parsed. */
const jweSeeds = layers.flatMap((l) =>
  (l.annotations['org.opencontainers.image.enc.keys.jwe'] ?? '')
    .split(',')
    .filter((e) => e !== '')
    .map((e) => JSON.parse(Buffer.from(e, 'base64').toString('utf8')) as unknown),
);
const headerSeeds = jweSeeds.flatMap((j) => {
  const p = (j as { protected?: unknown }).protected;
  return typeof p === 'string' ? [JSON.parse(Buffer.from(p, 'base64url').toString('utf8')) as unknown] : [];
});
const protectedHeader = mutatedJson(headerSeeds, { values: [fc.constantFrom('RSA-OAEP', 'RSA-OAEP-256', 'ECDH-ES+A256KW', 'dir', 'none', 'A256GCM', 'A128CBC-HS256', 'DEF')], keys: ['alg', 'enc', 'epk', 'kid', 'zip', 'crit', 'p2c'] }).map((t) => Buffer.from(t, 'utf8').toString('base64url'));

export const jweTarget = defineTarget({
  name: 'jwe',
  about: 'JWE annotation entries: describeJweRecipients (never fails), unwrapJwe with RSA and EC keys, parsePrivateOptions of what unwraps',
  codes: ['INVALID_ENCRYPTION_METADATA'],
  ciRuns: 200,
  arbitrary: mutatedJson(jweSeeds, { values: [protectedHeader, base64Like, fc.constantFrom([], [{}], [{ header: { alg: 'RSA-OAEP' } }])], keys: ['protected', 'unprotected', 'header', 'recipients', 'encrypted_key', 'iv', 'ciphertext', 'tag', 'aad'] }),
  open: async () => {
    const keys: DecryptionKey[] = [];
    for (const [kase, file] of [['jwe-two-recipients', 'rsa1_priv.pem'], ['jwe-rsa-plus-ec', 'rsa2_priv.pem'], ['jwe-ec-p256', 'ec_p256_priv.pem']] as const) keys.push(await loadDecryptionKey(fixtureKeyPath(kase, file)));
    return {
      run: async (text: string) => {
        const entry = Buffer.from(text, 'utf8');
        const labels = describeJweRecipients(entry);
        if (!Array.isArray(labels) || labels.length === 0) throw new Error('describeJweRecipients gave no label');
        const plain = await unwrapJwe(entry, keys);
        if (plain) parsePrivateOptions(plain);
      },
    };
  },
});
