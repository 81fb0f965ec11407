// `imgseal decoder` as containerd drives it, on layers skopeo encrypted (fixtures):
// verified plaintext or nothing at all on stdout, one line on stderr.
import assert from 'node:assert/strict';
import { copyFileSync, mkdirSync, mkdtempSync, readdirSync, rmSync, symlinkSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, describe, test } from 'node:test';
import { spawnSync } from 'node:child_process';
import { DECODER_BUNDLE, FIXTURES } from '../testkit/cli.js';
import { encodePayload, fixtureKeyDir, fixtureLayer, runDecoder, sha256 } from './decoder-helpers.js';

const work = mkdtempSync(join(tmpdir(), 'imgseal-decoder-test-'));
after(() => rmSync(work, { recursive: true, force: true }));

const keyDir = (name: string, files: Record<string, string>): string => fixtureKeyDir(work, name, files);

function oneErrorLine(stderr: string): string {
  const lines = stderr.trim().split('\n');
  assert.equal(lines.length, 1, `one line on stderr, got: ${stderr}`);
  return lines[0] as string;
}

describe('imgseal decoder', () => {
  const rsa = fixtureLayer('jwe-rsa2048');
  const rsaKeys = keyDir('rsa', { 'rsa1.pem': 'jwe-rsa2048/keys/rsa1_priv.pem' });

  test('decrypts a layer skopeo encrypted into the plaintext blob of the returns type', async () => {
    const spool = mkdtempSync(join(work, 'tmp-'));
    const r = await runDecoder(['--decryption-keys-path', rsaKeys], rsa.blob, encodePayload(rsa.descriptor), { STREAM_PROCESSOR_MEDIATYPE: rsa.descriptor.mediaType, TMPDIR: spool });
    assert.equal(r.code, 0, r.stderr);
    assert.equal(sha256(r.stdout), rsa.expected.plaintext_blob_digest);
    assert.equal(r.stderr, '');
    assert.deepEqual(readdirSync(spool), [], 'the spool leaves nothing in TMPDIR');
  });

  test('every key format in a directory, other files skipped, kubelet ..data links followed once', async () => {
    const dir = keyDir('mixed', {
      'a-public.pem': 'jwe-rsa2048/keys/rsa1_pub.pem',
      'b-encrypted.pem': 'jwe-rsa2048/keys/rsa1_priv_enc_legacy.pem',
      'ec.pem': 'jwe-ec-p256/keys/ec_p256_priv.pem',
    });
    mkdirSync(join(dir, '..2026_12_01_20_00_00.1'));
    copyFileSync(join(FIXTURES, 'jwe-rsa2048/keys/rsa1_priv.jwk'), join(dir, '..2026_12_01_20_00_00.1', 'rsa.jwk'));
    symlinkSync('..2026_12_01_20_00_00.1', join(dir, '..data'));
    symlinkSync('..data/rsa.jwk', join(dir, 'rsa.jwk'));
    writeFileSync(join(dir, 'README'), 'not a key\n');
    const r = await runDecoder(['--decryption-keys-path', dir], rsa.blob, encodePayload(rsa.descriptor));
    assert.equal(r.code, 0, r.stderr);
    assert.equal(sha256(r.stdout), rsa.expected.plaintext_blob_digest);
    const ec = fixtureLayer('jwe-ec-p256');
    const r2 = await runDecoder(['--decryption-keys-path', dir], ec.blob, encodePayload(ec.descriptor));
    assert.equal(r2.code, 0, r2.stderr);
    assert.equal(sha256(r2.stdout), ec.expected.plaintext_blob_digest);
  });

  test('DER and PKCS#1 keys decrypt too', async () => {
    for (const f of ['rsa1_priv_pkcs8.der', 'rsa1_priv_pkcs1.der', 'rsa1_priv_pkcs1.pem']) {
      const r = await runDecoder(['--decryption-keys-path', keyDir(`k-${f}`, { [f]: `jwe-rsa2048/keys/${f}` })], rsa.blob, encodePayload(rsa.descriptor));
      assert.equal(r.code, 0, `${f}: ${r.stderr}`);
      assert.equal(sha256(r.stdout), rsa.expected.plaintext_blob_digest, f);
    }
  });

  test('other schemes from the same directory: an OpenPGP keyring (pgp), a key + certificate (pkcs7)', async () => {
    const pgp = fixtureLayer('pgp');
    const rp = await runDecoder(['--decryption-keys-path', keyDir('pgp', { 'secring.gpg': 'pgp/keys/pgp_secring.gpg' })], pgp.blob, encodePayload(pgp.descriptor));
    assert.equal(rp.code, 0, rp.stderr);
    assert.equal(sha256(rp.stdout), pgp.expected.plaintext_blob_digest);
    const p7 = fixtureLayer('pkcs7');
    const r7 = await runDecoder(['--decryption-keys-path', keyDir('p7', { 'key.pem': 'pkcs7/keys/pkcs7_priv.pem', 'cert.pem': 'pkcs7/keys/pkcs7_cert.pem' })], p7.blob, encodePayload(p7.descriptor));
    assert.equal(r7.code, 0, r7.stderr);
    assert.equal(sha256(r7.stdout), p7.expected.plaintext_blob_digest);
  });

  test('a private key passed in the payload (ctr-enc --key) is used', async () => {
    const pem = (await import('node:fs')).readFileSync(join(FIXTURES, 'jwe-rsa2048/keys/rsa1_priv.pem')).toString('base64');
    const r = await runDecoder([], rsa.blob, encodePayload(rsa.descriptor, { privkeys: [pem], 'privkeys-passwords': [''] }));
    assert.equal(r.code, 0, r.stderr);
    assert.equal(sha256(r.stdout), rsa.expected.plaintext_blob_digest);
  });

  test('without a fitting key: nothing on stdout, one line naming the problem and what was skipped', async () => {
    const dir = keyDir('wrong', { 'ec.pem': 'jwe-ec-p256/keys/ec_p256_priv.pem', 'pub.pem': 'jwe-rsa2048/keys/rsa1_pub.pem' });
    const r = await runDecoder(['--decryption-keys-path', dir], rsa.blob, encodePayload(rsa.descriptor));
    assert.equal(r.code, 1);
    assert.equal(r.stdout.length, 0);
    const line = oneErrorLine(r.stderr);
    assert.match(line, /missing private key needed for decryption/);
    assert.match(line, /1 key found in .*wrong/);
    assert.match(line, /pub\.pem: is a public key/);
  });

  test('ciphertext altered with consistent digests (only the HMAC can tell): not one byte on stdout', async () => {
    const blob = Buffer.from(rsa.blob);
    blob[blob.length - 5] = (blob[blob.length - 5] as number) ^ 0x01;
    const descriptor = { ...rsa.descriptor, digest: sha256(blob), size: blob.length };
    const spool = mkdtempSync(join(work, 'tmp-'));
    const r = await runDecoder(['--decryption-keys-path', rsaKeys], blob, encodePayload(descriptor), { TMPDIR: spool });
    assert.equal(r.code, 1);
    assert.equal(r.stdout.length, 0);
    assert.match(oneErrorLine(r.stderr), /HMAC mismatch/);
    assert.deepEqual(readdirSync(spool), []);
  });

  test('a blob that is not the descriptor\'s: refused before anything is written', async () => {
    const blob = Buffer.concat([rsa.blob, Buffer.from('x')]);
    const r = await runDecoder(['--decryption-keys-path', rsaKeys], blob, encodePayload(rsa.descriptor));
    assert.equal(r.code, 1);
    assert.equal(r.stdout.length, 0);
    assert.match(oneErrorLine(r.stderr), /more than the 161 bytes/);
    const short = await runDecoder(['--decryption-keys-path', rsaKeys], rsa.blob.subarray(0, 100), encodePayload(rsa.descriptor));
    assert.equal(short.code, 1);
    assert.equal(short.stdout.length, 0);
    assert.match(oneErrorLine(short.stderr), /truncated/);
  });

  test('a plaintext that is not the digest the wrapped key records is refused (skopeo recompression)', async () => {
    const z = fixtureLayer('zstd-recompressed');
    const r = await runDecoder(['--decryption-keys-path', keyDir('z', { 'rsa1.pem': 'zstd-recompressed/keys/rsa1_priv.pem' })], z.blob, encodePayload(z.descriptor));
    assert.equal(r.code, 1);
    assert.equal(r.stdout.length, 0);
    assert.match(oneErrorLine(r.stderr), /the wrapped key says sha256:/);
  });

  test('no fd 3 (ctr pull, containerd 2.x transfer service): says so and what configuration fixes it', async () => {
    const r = await runDecoder(['--decryption-keys-path', rsaKeys], rsa.blob, 'closed');
    assert.equal(r.code, 1);
    assert.equal(r.stdout.length, 0);
    const line = oneErrorLine(r.stderr);
    assert.match(line, /file descriptor 3 is not open/);
    assert.match(line, /use_local_image_pull = true/);
    assert.match(line, /key_model = "node"/);
  });

  test('an empty fd 3, an empty Any, a foreign payload type, a non-encrypted or mismatched media type', async () => {
    const cases: [Buffer, Record<string, string>, RegExp][] = [
      [Buffer.alloc(0), {}, /fd 3 is open but empty.*use_local_image_pull/],
      [Buffer.from([0x0a, 0x00]), {}, /empty Any.*use_local_image_pull/],
      [encodePayload(rsa.descriptor, null, 'example.com/Other'), {}, /unknown payload type "example.com\/Other"/],
      [encodePayload({ ...rsa.descriptor, mediaType: 'application/vnd.oci.image.layer.v1.tar+gzip' }), {}, /not an encrypted layer type/],
      [encodePayload(rsa.descriptor), { STREAM_PROCESSOR_MEDIATYPE: 'application/vnd.oci.image.layer.v1.tar+encrypted' }, /containerd says the stream is/],
      [Buffer.from([0x0a, 0x7f, 0x01]), {}, /truncated protobuf field/],
    ];
    for (const [payload, env, want] of cases) {
      const r = await runDecoder(['--decryption-keys-path', rsaKeys], rsa.blob, payload, env);
      assert.equal(r.code, 1, String(want));
      assert.equal(r.stdout.length, 0);
      assert.match(oneErrorLine(r.stderr), want);
    }
  });
});

test('the bundled decoder-main.js (the stream-processor entry): a bad argument is one usage line, exit 2, nothing on stdout', () => {
  for (const [args, want] of [
    [['--bogus'], /^imgseal decoder: unknown argument "--bogus" \(usage: /],
    [['--decryption-keys-path'], /^imgseal decoder: option --decryption-keys-path needs a directory /],
    [['--returns'], /^imgseal decoder: option --returns needs a media type /],
  ] as const) {
    const r = spawnSync(process.execPath, [DECODER_BUNDLE, ...args], { input: '', encoding: 'utf8' });
    assert.equal(r.status, 2);
    assert.equal(r.stdout, '');
    const lines = r.stderr.trimEnd().split('\n');
    assert.equal(lines.length, 1, r.stderr);
    assert.match(lines[0] as string, want);
  }
});

test('the bundled decoder-main.js: --help and -h explain on stdout and exit 0 without reading stdin', () => {
  for (const flag of ['--help', '-h']) {
    // No input given: a decoder that waited for a layer would hang until the timeout.
    const r = spawnSync(process.execPath, [DECODER_BUNDLE, flag], { encoding: 'utf8', timeout: 20_000 });
    assert.equal(r.status, 0, r.stderr);
    assert.equal(r.stderr, '');
    assert.match(r.stdout, /^Usage: imgseal-decoder \[--decryption-keys-path DIR\]/);
    assert.match(r.stdout, /--decryption-keys-path DIR +the node key directory/);
    assert.match(r.stdout, /--returns MEDIATYPE +the processor's `returns`/);
    assert.match(r.stdout, /nothing is written/);
  }
});

