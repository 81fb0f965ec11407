// The pgp scheme's OpenPGP layer against the skopeo vectors: unwrap with the
// binary and the armored secret key, the message shape we write (PKESK v3,
// SEIPD v1, AES-256, literal packet, no compression), key ids, recipient
// matching, the gpg keyring lookup, and corrupt entries.
import assert from 'node:assert/strict';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { spawnSync } from 'node:child_process';
import { after, describe, test } from 'node:test';
import * as openpgp from 'openpgp';
import { readEncryptionAnnotations } from '../../src/crypto/annotations.js';
import { exportGpgPublicKeyring } from '../../src/crypto/wrap/pgp/gpg.js';
import { matchPublicKeys, readPublicKeys, readSecretKeys } from '../../src/crypto/wrap/pgp/keys.js';
import { pgpRecipientKeyIds, unwrapPgp, wrapPgp } from '../../src/crypto/wrap/pgp/message.js';
import { isImgsealError } from '../../src/errors.js';
import { requireTool } from '../testkit/tools.js';
import { encLayers, expected, keyPath } from './fixtures.js';

const secring = (kase: string): Buffer => readFileSync(keyPath(kase, 'pgp_secring.gpg'));
const pubring = (kase: string): Buffer => readFileSync(keyPath(kase, 'pgp_pubring.gpg'));

function pgpEntry(kase: string): Buffer {
  const entries = readEncryptionAnnotations(encLayers(kase)[0]!.annotations).keys.get('pgp');
  assert.equal(entries?.length, 1);
  return entries![0]!;
}

const tmp = mkdtempSync(join(tmpdir(), 'imgseal-pgp-'));
after(() => rmSync(tmp, { recursive: true, force: true }));

describe('pgp vectors (skopeo 1.9.3)', () => {
  for (const kase of ['pgp', 'multi-scheme']) {
    test(`${kase}: the binary secret keyring unwraps the exact private options`, async () => {
      const keys = await readSecretKeys(secring(kase), 'pgp_secring.gpg', []);
      const out = await unwrapPgp(pgpEntry(kase), keys);
      assert.ok(out);
      assert.equal(Buffer.from(out).toString('utf8'), expected(kase).layers[0]!.privopts_json);
    });
  }

  test('the armored export of the same key unwraps too (ocicrypt ignores it)', async () => {
    const armored = readFileSync(keyPath('pgp', 'pgp_secring_armored_IGNORED.asc'));
    const keys = await readSecretKeys(armored, 'armored.asc', []);
    const out = await unwrapPgp(pgpEntry('pgp'), keys);
    assert.equal(Buffer.from(out!).toString('utf8'), expected('pgp').layers[0]!.privopts_json);
  });

  test('recipients are the PKESK key ids, as ctr-enc prints them', async () => {
    assert.deepEqual(await pgpRecipientKeyIds(pgpEntry('pgp')), ['0x7c9f6712eb1d0219']);
  });

  test('a secret key the message was not encrypted to gives undefined, not an error', async () => {
    const { privateKey } = await openpgp.generateKey({ type: 'rsa', rsaBits: 2048, userIDs: [{ email: 'other@example.test' }], format: 'object' });
    assert.equal(await unwrapPgp(pgpEntry('pgp'), [privateKey]), undefined);
  });
});

describe('pgp wrap', () => {
  test('writes PKESK v3 + SEIPD v1 with AES-256 and an uncompressed literal packet the vector key opens', async () => {
    const pub = await readPublicKeys(pubring('pgp'), 'pgp_pubring.gpg');
    const priv = Buffer.from(expected('pgp').layers[0]!.privopts_json!, 'utf8');
    const blob = await wrapPgp(priv, pub);
    const message = await openpgp.readMessage({ binaryMessage: blob });
    const tags = Array.from(message.packets).map((p) => [(p.constructor as unknown as { tag: number }).tag, (p as unknown as { version: number }).version]);
    assert.deepEqual(tags, [[1, 3], [18, 1]]);
    const secret = await readSecretKeys(secring('pgp'), 's', []);
    const [session] = await openpgp.decryptSessionKeys({ message, decryptionKeys: secret });
    assert.equal(session?.algorithm, 'aes256');
    const result = await openpgp.decrypt({ message: await openpgp.readMessage({ binaryMessage: blob }), decryptionKeys: secret, format: 'binary' });
    assert.deepEqual(Buffer.from(result.data), priv);
    // Inside: one literal packet (format t, no file name, date 0), nothing compressed.
    const inner = await (await openpgp.readMessage({ binaryMessage: blob })).decrypt(secret);
    const packets = Array.from(inner.packets) as unknown as { constructor: { tag: number }; format?: number; filename?: string; date?: Date }[];
    assert.deepEqual(packets.map((p) => p.constructor.tag), [11]);
    assert.equal(packets[0]!.format, openpgp.enums.literal.text); // 't'
    assert.equal(packets[0]!.filename, '');
    assert.equal(packets[0]!.date?.getTime(), 0);
    assert.deepEqual(await pgpRecipientKeyIds(blob), ['0x7c9f6712eb1d0219']);
  });

  test('two recipients → one message with two PKESKs, each opens it', async () => {
    const a = await openpgp.generateKey({ type: 'rsa', rsaBits: 2048, userIDs: [{ email: 'a@example.test' }], format: 'object' });
    const pub = [...(await readPublicKeys(pubring('pgp'), 'p')), a.publicKey];
    const blob = await wrapPgp(Buffer.from('{"x":1}'), pub);
    assert.equal((await pgpRecipientKeyIds(blob)).length, 2);
    assert.equal(Buffer.from((await unwrapPgp(blob, [a.privateKey]))!).toString(), '{"x":1}');
    assert.equal(Buffer.from((await unwrapPgp(blob, await readSecretKeys(secring('pgp'), 's', [])))!).toString(), '{"x":1}');
  });

  test('SEIPD v1 even for keys that advertise SEIPD v2', async () => {
    const v2 = await openpgp.generateKey({ type: 'ecc', curve: 'curve25519Legacy', userIDs: [{ email: 'v2@example.test' }], format: 'object', config: { aeadProtect: true } });
    const blob = await wrapPgp(Buffer.from('{}'), [v2.publicKey]);
    const message = await openpgp.readMessage({ binaryMessage: blob });
    assert.equal((message.packets[1] as unknown as { version: number }).version, 1);
  });
});

describe('corrupt pgp entries', () => {
  test('garbage → INVALID_ENCRYPTION_METADATA naming OpenPGP', async () => {
    await assert.rejects(unwrapPgp(Buffer.from('not openpgp at all'), []), (e: unknown) => isImgsealError(e, 'INVALID_ENCRYPTION_METADATA') && /corrupt OpenPGP message/.test(e.message));
  });

  test('a flipped byte in the encrypted data with the right key → one clear error', async () => {
    const entry = Buffer.from(pgpEntry('pgp'));
    entry[entry.length - 10]! ^= 0xff;
    const keys = await readSecretKeys(secring('pgp'), 's', []);
    await assert.rejects(unwrapPgp(entry, keys), (e: unknown) => isImgsealError(e, 'INVALID_ENCRYPTION_METADATA') && !e.message.includes('\n'));
  });
});

describe('pgp keys', () => {
  test('matches by e-mail, name, full user id, key id (primary or subkey, with or without 0x) and fingerprint', async () => {
    const ring = await readPublicKeys(pubring('pgp'), 'p');
    for (const q of ['ocitest@example.com', 'OCI Test', 'OCI Test <ocitest@example.com>', 'DCFACDEA8CA2D0BE', '0x7c9f6712eb1d0219', '8CA2D0BE', ring[0]!.getFingerprint()]) {
      assert.equal(matchPublicKeys(ring, q).length, 1, q);
    }
    for (const q of ['OCITEST@example.com', 'ocitest', 'nobody@example.com', '0x0000000000000000']) {
      assert.equal(matchPublicKeys(ring, q).length, 0, q);
    }
  });

  test('a passphrase-protected secret key needs the passphrase; a wrong one is one clear line', async () => {
    const { privateKey } = await openpgp.generateKey({ type: 'rsa', rsaBits: 2048, userIDs: [{ email: 'p@example.test' }], passphrase: 'sesame', format: 'armored' });
    const data = Buffer.from(privateKey);
    await assert.rejects(readSecretKeys(data, 'k.asc', []), (e: unknown) => isImgsealError(e, 'KEY_PASSWORD') && /passphrase-protected/.test(e.message) && !e.message.includes('sesame'));
    await assert.rejects(readSecretKeys(data, 'k.asc', [Buffer.from('nope')]), (e: unknown) => isImgsealError(e, 'KEY_PASSWORD') && !e.message.includes('nope'));
    const [k] = await readSecretKeys(data, 'k.asc', [Buffer.from('sesame')]);
    assert.ok(k?.isDecrypted());
  });

  test('a file that is no OpenPGP key → INVALID_RECIPIENT naming it', async () => {
    await assert.rejects(readPublicKeys(Buffer.from('hello'), 'x.gpg'), (e: unknown) => isImgsealError(e, 'INVALID_RECIPIENT') && e.message.startsWith('x.gpg: '));
  });

  test('gpg --export of a GNUPGHOME returns the imported public key', async (t) => {
    if (!requireTool('gpg', t)) return;
    const home = join(tmp, 'gnupg');
    spawnSync('mkdir', ['-m', '700', home]);
    const imp = spawnSync('gpg', ['--batch', '--homedir', home, '--import', keyPath('pgp', 'pgp_pubring.gpg')], { encoding: 'utf8' });
    assert.equal(imp.status, 0, imp.stderr);
    try {
      const ring = await readPublicKeys(await exportGpgPublicKeyring({ env: { ...process.env, GNUPGHOME: home } }), 'gpg');
      assert.equal(matchPublicKeys(ring, 'ocitest@example.com').length, 1);
      const viaHomedir = await readPublicKeys(await exportGpgPublicKeyring({ homedir: home, program: 'gpg' }), 'gpg');
      assert.equal(viaHomedir[0]?.getKeyID().toHex(), 'dcfacdea8ca2d0be');
    } finally {
      spawnSync('gpgconf', ['--homedir', home, '--kill', 'all']);
    }
  });

  test('gpg missing → one clear line', async () => {
    await assert.rejects(exportGpgPublicKeyring({ program: join(tmp, 'no-such-gpg') }), (e: unknown) => isImgsealError(e, 'INVALID_RECIPIENT') && /gpg is not installed/.test(e.message));
  });
});

describe('pgp recipients: describe and remove without the layer key', () => {
  test('removing one of two recipients keeps a message the other opens, byte-identical encrypted data', async () => {
    const { pgpScheme } = await import('../../src/crypto/wrap/pgp/index.js');
    const ctx = { config: { env: {} } };
    const other = await openpgp.generateKey({ type: 'rsa', rsaBits: 2048, userIDs: [{ email: 'b@example.test' }], format: 'object' });
    const otherFile = join(tmp, 'other.asc');
    const { writeFileSync } = await import('node:fs');
    writeFileSync(otherFile, other.publicKey.armor());
    const vectorKey = await pgpScheme.parseRecipient(keyPath('pgp', 'pgp_pubring.gpg'), ctx);
    const otherKey = await pgpScheme.parseRecipient(otherFile, ctx);
    assert.equal(vectorKey.label, '0x7c9f6712eb1d0219');
    const priv = Buffer.from('{"symkey":"k"}');
    const blob = await pgpScheme.wrap('pgp', priv, [vectorKey, otherKey], ctx);
    const ids = await pgpScheme.describe('pgp', blob);
    assert.equal(ids.length, 2);
    assert.ok(ids.includes('0x7c9f6712eb1d0219'));

    const r = await pgpScheme.removeRecipients('pgp', blob, [vectorKey], ctx);
    assert.deepEqual(r.removed, ['0x7c9f6712eb1d0219']);
    assert.equal(r.remaining, 1);
    assert.ok(r.entry);
    assert.deepEqual(await pgpScheme.describe('pgp', r.entry), ids.filter((i) => i !== '0x7c9f6712eb1d0219'));
    // The encrypted data packet is the same bytes; the removed key no longer finds a PKESK.
    assert.ok(Buffer.from(blob).subarray(blob.length - 100).equals(Buffer.from(r.entry).subarray(r.entry.length - 100)));
    assert.equal(await unwrapPgp(r.entry, await readSecretKeys(secring('pgp'), 's', [])), undefined);
    assert.deepEqual(Buffer.from((await unwrapPgp(r.entry, [other.privateKey]))!), priv);

    // By bare key id (no keyring needed for matching), the last recipient goes: nothing left.
    const byId = await pgpScheme.parseRecipient(ids.find((i) => i !== '0x7c9f6712eb1d0219')!.replace(/^0x/, '').padStart(16, '0'), { ...ctx, config: { env: {}, gpg: { program: join(tmp, 'no-gpg') } }, purpose: 'match' });
    const last = await pgpScheme.removeRecipients('pgp', r.entry, [byId], ctx);
    assert.equal(last.entry, undefined);
    assert.equal(last.remaining, 0);
  });

  test('describe never throws on garbage', async () => {
    const { pgpScheme } = await import('../../src/crypto/wrap/pgp/index.js');
    assert.deepEqual(await pgpScheme.describe('pgp', Buffer.from('garbage')), ['[pgp]']);
  });
});
