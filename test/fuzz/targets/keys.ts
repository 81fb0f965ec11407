/** Key files: --decryption-key (PEM, DER, JWK, OpenPGP, PKCS#11 YAML) and --encryption-key jwe: files. */
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { basename, join } from 'node:path';
import fc from 'fast-check';
import { parseRecipient } from '../../../src/crypto/wrap/recipients.js';
import { parseDecryptionKeyData } from '../../../src/crypto/keys/private-key.js';
import { fixtureKeyFiles } from '../arbitraries/fixtures.js';
import { mutatedJson } from '../arbitraries/json.js';
import { base64Like } from '../arbitraries/text.js';
import { defineTarget } from '../harness/target.js';

const files = [...fixtureKeyFiles().entries()];
const privateFiles = files.filter(([p]) => /priv|secring|sec1/.test(basename(p))).map(([, b]) => b);
const publicFiles = files.filter(([p]) => /pub|cert/.test(basename(p))).map(([, b]) => b);
const jwkSeeds = files.filter(([p]) => p.endsWith('.jwk')).map(([, b]) => JSON.parse(b.toString('utf8')) as unknown);

/** Byte-level damage to a key file: PEM labels, headers and body lines, DER bytes. */
function damagedFile(seeds: Buffer[]): fc.Arbitrary<Buffer> {
  const pemEdit = fc.oneof(
    fc.constantFrom('PRIVATE KEY', 'RSA PRIVATE KEY', 'ENCRYPTED PRIVATE KEY', 'EC PRIVATE KEY', 'PUBLIC KEY', 'RSA PUBLIC KEY', 'CERTIFICATE', 'PGP PRIVATE KEY BLOCK', 'X').map((label) => ({ kind: 'label' as const, label })),
    fc.constantFrom('Proc-Type: 4,ENCRYPTED\nDEK-Info: AES-256-CBC,00\n\n', 'Proc-Type: 4,ENCRYPTED\n\n', 'DEK-Info: x\n\n', ':\n\n').map((headers) => ({ kind: 'headers' as const, headers })),
  );
  return fc
    .tuple(
      fc.nat({ max: seeds.length - 1 }),
      fc.array(fc.oneof(fc.tuple(fc.nat(), fc.integer({ min: 0, max: 255 })).map(([at, b]) => ({ kind: 'byte' as const, at, b })), fc.nat().map((at) => ({ kind: 'cut' as const, at })), pemEdit), { maxLength: 3 }),
    )
    .map(([i, edits]) => {
      let b = Buffer.from(seeds[i] as Buffer);
      for (const e of edits) {
        if (e.kind === 'byte' && b.length > 0) b[e.at % b.length] = e.b;
        else if (e.kind === 'cut') b = b.subarray(0, e.at % (b.length + 1));
        else if (e.kind === 'label') b = Buffer.from(b.toString('latin1').replace(/(-----(?:BEGIN|END) )[A-Z0-9 ]+(-----)/g, `$1${e.label}$2`), 'latin1');
        else if (e.kind === 'headers') b = Buffer.from(b.toString('latin1').replace(/(-----BEGIN [A-Z0-9 ]+-----\r?\n)/, `$1${e.headers}`), 'latin1');
      }
      return b;
    });
}

function keyFileArbitrary(seeds: Buffer[]): fc.Arbitrary<Buffer> {
  return fc.oneof(
    { weight: 4, arbitrary: damagedFile(seeds) },
    { weight: 2, arbitrary: mutatedJson(jwkSeeds, { values: [base64Like, fc.constantFrom('RSA', 'EC', 'OKP', 'oct', 'P-256', 'P-384', 'secp256k1', 'RSA-OAEP')], keys: ['kty', 'crv', 'x', 'y', 'd', 'n', 'e', 'p', 'q', 'alg', 'kid', 'use'] }).map((t) => Buffer.from(t, 'utf8')) },
    { weight: 1, arbitrary: fc.uint8Array({ maxLength: 300 }).map((u) => Buffer.from(u)) },
    { weight: 1, arbitrary: fc.constantFrom('pkcs11:\n  uri: pkcs11:token=x\n', '-----BEGIN X-----\n', '-----BEGIN -----\n-----END -----', '{}', '{"kty":"RSA"}').map((s) => Buffer.from(s)) },
  );
}

export const decryptionKeyTarget = defineTarget({
  name: 'decryption-key',
  about: 'parseDecryptionKeyData of damaged PEM, DER, JWK and OpenPGP key files, with and without passwords',
  codes: ['INVALID_KEY', 'KEY_PASSWORD'],
  ciRuns: 500,
  arbitrary: fc.tuple(keyFileArbitrary(privateFiles), fc.constantFrom<string[]>([], ['secret'], ['wrong', 'secret\n'], [''])),
  open: async () => ({ run: ([data, pw]: [Buffer, string[]]) => parseDecryptionKeyData(data, '/fuzz/key', pw.map((p) => Buffer.from(p))) }),
});

export const recipientTarget = defineTarget({
  name: 'recipient',
  about: 'parseRecipient of jwe: public key files (SPKI PEM/DER, JWK), damaged',
  codes: ['INVALID_RECIPIENT'],
  ciRuns: 500,
  arbitrary: keyFileArbitrary(publicFiles),
  open: async () => {
    const dir = await mkdtemp(join(tmpdir(), 'imgseal-fuzz-recipient-'));
    const file = join(dir, 'key');
    return {
      run: async (data: Buffer) => {
        await writeFile(file, data);
        await parseRecipient(`jwe:${file}`);
      },
      close: () => rm(dir, { recursive: true, force: true }),
    };
  },
});
