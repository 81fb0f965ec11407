// Issue 8 item 6: `imgseal recipients add|remove|rotate` checked with the real skopeo.
// skopeo encrypts (kid-less JWE entries), imgseal changes the recipients, skopeo
// decrypts with the keys that must work and fails with the ones that must not; layer
// blobs stay byte-identical for add/remove and change for rotate.
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, describe, test } from 'node:test';
import { FIXTURES, runCli } from '../testkit/cli.js';
import { buildLayout, type BuiltImage, type LayerSpec } from '../testkit/image-builder.js';
import { readImage, snapshotTree, type ReadImage } from '../testkit/image-reader.js';
import { requireTool, skopeo } from '../testkit/tools.js';

const KEYS = {
  rsa1: { pub: join(FIXTURES, 'jwe-rsa2048/keys/rsa1_pub.pem'), priv: join(FIXTURES, 'jwe-rsa2048/keys/rsa1_priv.pem') },
  rsa2: { pub: join(FIXTURES, 'jwe-two-recipients/keys/rsa2_pub.pem'), priv: join(FIXTURES, 'jwe-two-recipients/keys/rsa2_priv.pem') },
  ec: { pub: join(FIXTURES, 'jwe-ec-p256/keys/ec_p256_pub.pem'), priv: join(FIXTURES, 'jwe-ec-p256/keys/ec_p256_priv.pem') },
};

const tmp = mkdtempSync(join(tmpdir(), 'imgseal-recipients-'));
after(() => rmSync(tmp, { recursive: true, force: true }));
let n = 0;
const dir = (name: string): string => join(tmp, `${name}-${n++}`);

const LAYERS: LayerSpec[] = [
  { files: { 'base.txt': 'public base\n' }, compression: 'gzip' },
  { files: { 'secret.txt': 'the secret layer\n' }, compression: 'gzip' },
];

function files(orig: BuiltImage): Record<string, string> {
  return Object.assign({}, ...orig.layers.map((l) => l.files)) as Record<string, string>;
}

/** skopeo encrypts the top layer of a fresh two-layer image for `pubs`. */
async function skopeoEncrypted(pubs: string[]): Promise<{ orig: BuiltImage; enc: string }> {
  const src = dir('src');
  const orig = await buildLayout(src, LAYERS);
  const enc = dir('enc');
  await skopeo(['copy', '-q', ...pubs.flatMap((p) => ['--encryption-key', `jwe:${p}`]), '--encrypt-layer', '-1', `oci:${src}:base`, `oci:${enc}:enc`]);
  return { orig, enc };
}

async function skopeoOpens(image: string, priv: string, orig: BuiltImage): Promise<void> {
  const out = dir('skopeo-dec');
  await skopeo(['copy', '-q', '--decryption-key', priv, image, `oci:${out}:plain`]);
  const img = await readImage(out, 'plain');
  assert.deepEqual(img.files, files(orig), `skopeo restores the files with ${priv}`);
  img.layers.forEach((l, i) => assert.deepEqual(l.blob, orig.layers[i]!.blob, `layer ${i} byte-identical to the original`));
}

async function skopeoRefuses(image: string, priv: string): Promise<void> {
  await assert.rejects(skopeo(['copy', '-q', '--decryption-key', priv, image, `oci:${dir('refused')}:plain`]), /missing private key|decrypt/i, `skopeo must not open it with ${priv}`);
}

function sameBlobs(a: ReadImage, b: ReadImage): void {
  assert.equal(a.layers.length, b.layers.length);
  a.layers.forEach((l, i) => {
    const o = b.layers[i]!;
    assert.equal(l.desc.digest, o.desc.digest, `layer ${i}: same digest`);
    assert.equal(l.desc.size, o.desc.size, `layer ${i}: same size`);
    assert.equal(l.desc.mediaType, o.desc.mediaType, `layer ${i}: same media type`);
    assert.deepEqual(l.blob, o.blob);
  });
  assert.equal(a.manifest.config.digest, b.manifest.config.digest, 'config unchanged');
}

const JWE = 'org.opencontainers.image.enc.keys.jwe';

describe('imgseal recipients with skopeo', { concurrency: 2 }, () => {
  test('add: skopeo opens the image with the new key; blobs byte-identical; old key still works', async (t) => {
    if (!requireTool('skopeo', t)) return;
    const { orig, enc } = await skopeoEncrypted([KEYS.rsa1.pub]);
    await skopeoRefuses(`oci:${enc}:enc`, KEYS.ec.priv);
    const before = await readImage(enc, 'enc');
    const out = dir('added');
    const r = await runCli(['recipients', 'add', '-q', '--recipient', `jwe:${KEYS.ec.pub}`, '--decryption-key', KEYS.rsa1.priv, `oci:${enc}:enc`, `oci:${out}:enc`]);
    assert.equal(r.code, 0, r.stderr);
    const added = await readImage(out, 'enc');
    sameBlobs(added, before);
    const top = added.layers[1]!.desc.annotations!;
    assert.equal(top[JWE]!.split(',').length, 2, 'ocicrypt style: a second comma-separated entry');
    assert.ok(top[JWE]!.startsWith(`${before.layers[1]!.desc.annotations![JWE]!},`), 'the old entry is kept verbatim');
    assert.equal(top['org.opencontainers.image.enc.pubopts'], before.layers[1]!.desc.annotations!['org.opencontainers.image.enc.pubopts']);
    await skopeoOpens(`oci:${out}:enc`, KEYS.ec.priv, orig);
    await skopeoOpens(`oci:${out}:enc`, KEYS.rsa1.priv, orig);
    await skopeoRefuses(`oci:${out}:enc`, KEYS.rsa2.priv);
  });

  test('remove (in place): skopeo refuses the removed key and opens with a kept one; blobs byte-identical', async (t) => {
    if (!requireTool('skopeo', t)) return;
    // One skopeo JWE with two kid-less recipients: identified by the private key.
    const { orig, enc } = await skopeoEncrypted([KEYS.rsa1.pub, KEYS.rsa2.pub]);
    const before = await readImage(enc, 'enc');
    const byPublic = await runCli(['recipients', 'remove', '-q', '--recipient', `jwe:${KEYS.rsa2.pub}`, `oci:${enc}:enc`]);
    assert.equal(byPublic.code, 1, 'a kid-less entry is not identified by the public key');
    assert.match(byPublic.stderr, /not a recipient of any layer.*private key/);
    const r = await runCli(['recipients', 'remove', '--recipient', `jwe:${KEYS.rsa2.priv}`, `oci:${enc}:enc`]);
    assert.equal(r.code, 0, r.stderr);
    assert.match(r.stderr, /NOT revocation/);
    const removed = await readImage(enc, 'enc');
    sameBlobs(removed, before);
    await skopeoRefuses(`oci:${enc}:enc`, KEYS.rsa2.priv);
    await skopeoOpens(`oci:${enc}:enc`, KEYS.rsa1.priv, orig);
    const info = await runCli(['layerinfo', '--json', `oci:${enc}:enc`]);
    assert.deepEqual(JSON.parse(info.stdout)[1].recipients, ['[jwe RSA-OAEP]']);
  });

  test('remove by public key after an imgseal add (kid); the last recipient is refused and nothing is written', async (t) => {
    if (!requireTool('skopeo', t)) return;
    const { orig, enc } = await skopeoEncrypted([KEYS.rsa1.pub]);
    const r1 = await runCli(['recipients', 'add', '-q', '--recipient', `jwe:${KEYS.ec.pub}`, '--decryption-key', KEYS.rsa1.priv, `oci:${enc}:enc`]);
    assert.equal(r1.code, 0, r1.stderr);
    const r2 = await runCli(['recipients', 'remove', '-q', '--recipient', `jwe:${KEYS.ec.pub}`, `oci:${enc}:enc`]);
    assert.equal(r2.code, 0, r2.stderr);
    await skopeoRefuses(`oci:${enc}:enc`, KEYS.ec.priv);
    await skopeoOpens(`oci:${enc}:enc`, KEYS.rsa1.priv, orig);
    const snapshot = snapshotTree(enc);
    const last = await runCli(['recipients', 'remove', '-q', '--recipient', `jwe:${KEYS.rsa1.priv}`, `oci:${enc}:enc`]);
    assert.equal(last.code, 1);
    assert.match(last.stderr, /without any recipient; nothing was changed/);
    assert.equal(last.stderr.trim().split('\n').length, 1, 'one line');
    assert.deepEqual(snapshotTree(enc), snapshot, 'the layout is untouched');
  });

  test('rotate: fresh layer keys for exactly the new recipients; the old key no longer opens it; digests differ', async (t) => {
    if (!requireTool('skopeo', t)) return;
    const { orig, enc } = await skopeoEncrypted([KEYS.rsa1.pub, KEYS.rsa2.pub]);
    const before = await readImage(enc, 'enc');
    const out = dir('rotated');
    const r = await runCli(['recipients', 'rotate', '-q', '--recipient', `jwe:${KEYS.ec.pub}`, '--decryption-key', KEYS.rsa1.priv, `oci:${enc}:enc`, `oci:${out}:enc`]);
    assert.equal(r.code, 0, r.stderr);
    const rotated = await readImage(out, 'enc');
    assert.deepEqual(rotated.layers[0]!.desc, before.layers[0]!.desc, 'the plaintext layer is copied as is');
    const [o, n2] = [before.layers[1]!.desc, rotated.layers[1]!.desc];
    assert.notEqual(n2.digest, o.digest, 'a new blob');
    assert.equal(n2.mediaType, o.mediaType, 'still encrypted, same media type');
    assert.equal(n2.size, o.size);
    await skopeoOpens(`oci:${out}:enc`, KEYS.ec.priv, orig);
    await skopeoRefuses(`oci:${out}:enc`, KEYS.rsa1.priv);
    await skopeoRefuses(`oci:${out}:enc`, KEYS.rsa2.priv);
  });

  test('wrong key for add: one line, nothing written', async () => {
    const src = dir('src');
    await buildLayout(src, LAYERS);
    const enc = dir('enc');
    const e = await runCli(['encrypt', '-q', '--encryption-key', `jwe:${KEYS.rsa1.pub}`, `oci:${src}:base`, `oci:${enc}:enc`]);
    assert.equal(e.code, 0, e.stderr);
    const snapshot = snapshotTree(enc);
    const r = await runCli(['recipients', 'add', '-q', '--recipient', `jwe:${KEYS.ec.pub}`, '--decryption-key', KEYS.rsa2.priv, `oci:${enc}:enc`]);
    assert.equal(r.code, 1);
    assert.match(r.stderr, /missing private key needed for decryption/);
    assert.deepEqual(snapshotTree(enc), snapshot);
    const plain = await runCli(['recipients', 'add', '-q', '--recipient', `jwe:${KEYS.ec.pub}`, '--decryption-key', KEYS.rsa1.priv, `oci:${src}:base`, `oci:${dir('x')}:x`]);
    assert.equal(plain.code, 1);
    assert.match(plain.stderr, /no encrypted layers/);
  });
});
