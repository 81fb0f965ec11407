// `imgseal recipients` on a multi-arch index (--all, --platform) and the library's
// recipient removal for JWE entries: by kid, by a JWK's own kid, by private key;
// untouched entries keep their exact text.
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, test } from 'node:test';
import { FIXTURES, runCli } from '../testkit/cli.js';
import { buildMultiArchLayout } from '../testkit/image-builder.js';
import { readIndexImages, snapshotTree } from '../testkit/image-reader.js';
import { jweScheme, parseRecipient, removeLayerRecipients, type Recipient } from '../../src/crypto/index.js';
import { isImgsealError } from '../../src/errors.js';

const KEYS = {
  rsa1: { pub: join(FIXTURES, 'jwe-rsa2048/keys/rsa1_pub.pem'), priv: join(FIXTURES, 'jwe-rsa2048/keys/rsa1_priv.pem'), jwk: join(FIXTURES, 'jwe-rsa2048/keys/rsa1_pub.jwk') },
  rsa2: { pub: join(FIXTURES, 'jwe-two-recipients/keys/rsa2_pub.pem'), priv: join(FIXTURES, 'jwe-two-recipients/keys/rsa2_priv.pem') },
  ec: { pub: join(FIXTURES, 'jwe-ec-p256/keys/ec_p256_pub.pem'), priv: join(FIXTURES, 'jwe-ec-p256/keys/ec_p256_priv.pem') },
};
const JWE = 'org.opencontainers.image.enc.keys.jwe';
const ctx = { config: { env: {} } };

const tmp = mkdtempSync(join(tmpdir(), 'imgseal-recipients-cli-'));
after(() => rmSync(tmp, { recursive: true, force: true }));
let n = 0;
const dir = (name: string): string => join(tmp, `${name}-${n++}`);

test('index: add with --all changes every image (blobs kept); rotate with --platform changes only that one', async () => {
  const src = dir('src');
  await buildMultiArchLayout(src);
  const enc = dir('enc');
  assert.equal((await runCli(['encrypt', '-q', '--all', '--encryption-key', `jwe:${KEYS.rsa1.pub}`, `oci:${src}:base`, `oci:${enc}:enc`])).code, 0);
  const before = await readIndexImages(enc, 'enc');
  const added = await runCli(['recipients', 'add', '-q', '--all', '--recipient', `jwe:${KEYS.ec.pub}`, '--decryption-key', KEYS.rsa1.priv, `oci:${enc}:enc`]);
  assert.equal(added.code, 0, added.stderr);
  const afterAdd = await readIndexImages(enc, 'enc');
  for (const [platform, img] of afterAdd.images) {
    const old = before.images.get(platform)!;
    img.layers.forEach((l, i) => {
      assert.equal(l.desc.digest, old.layers[i]!.desc.digest, `${platform} layer ${i}: same blob`);
      assert.equal(l.desc.annotations![JWE]!.split(',').length, 2, `${platform} layer ${i}: a second entry`);
    });
  }
  // The EC key alone opens every image now.
  const dec = dir('dec');
  const d = await runCli(['decrypt', '-q', '--all', '--decryption-key', KEYS.ec.priv, `oci:${enc}:enc`, `oci:${dec}:plain`]);
  assert.equal(d.code, 0, d.stderr);

  const rotated = dir('rot');
  const r = await runCli(['recipients', 'rotate', '-q', '--all', '--platform', 'linux/arm64', '--recipient', `jwe:${KEYS.rsa2.pub}`, '--decryption-key', KEYS.ec.priv, `oci:${enc}:enc`, `oci:${rotated}:enc`]);
  assert.equal(r.code, 0, r.stderr);
  const afterRotate = await readIndexImages(rotated, 'enc');
  const amd = afterRotate.images.get('linux/amd64')!;
  const arm = afterRotate.images.get('linux/arm64')!;
  assert.deepEqual(amd.manifest, afterAdd.images.get('linux/amd64')!.manifest, 'amd64 copied untouched');
  arm.layers.forEach((l, i) => {
    assert.notEqual(l.desc.digest, afterAdd.images.get('linux/arm64')!.layers[i]!.desc.digest, `arm64 layer ${i}: new blob`);
    assert.match(l.desc.mediaType, /\+encrypted$/);
  });
  const old = await runCli(['decrypt', '-q', '--platform', 'linux/arm64', '--decryption-key', KEYS.ec.priv, `oci:${rotated}:enc`, `oci:${dir('x')}:x`]);
  assert.equal(old.code, 1, 'the old key no longer opens the rotated image');
  const now = await runCli(['decrypt', '-q', '--platform', 'linux/arm64', '--decryption-key', KEYS.rsa2.priv, `oci:${rotated}:enc`, `oci:${dir('y')}:y`]);
  assert.equal(now.code, 0, now.stderr);
});

test('usage: no --recipient, add without --decryption-key: exit 2, one line, nothing written', async () => {
  const src = dir('src');
  await buildMultiArchLayout(src);
  const snap = snapshotTree(src);
  for (const args of [['recipients', 'remove', `oci:${src}:base`], ['recipients', 'add', '--recipient', `jwe:${KEYS.ec.pub}`, `oci:${src}:base`]]) {
    const r = await runCli(args);
    assert.equal(r.code, 2, r.stderr);
    assert.equal(r.stderr.trim().split('\n').length, 1);
  }
  assert.deepEqual(snapshotTree(src), snap);
  const help = await runCli(['recipients', 'remove', '--help']);
  assert.match(help.stdout, /NOT revocation/);
});

async function jweLayer(recipients: Recipient[]): Promise<{ mediaType: string; annotations: Record<string, string> }> {
  const blob = await jweScheme.wrap('jwe', Buffer.from('{"symkey":"x"}'), recipients, ctx);
  return { mediaType: 'application/vnd.oci.image.layer.v1.tar+gzip+encrypted', annotations: { [JWE]: Buffer.from(blob).toString('base64'), 'org.opencontainers.image.enc.pubopts': 'e30=' } };
}

test('JWE removal: by kid (public key or JWK), by private key without kid; the other entries keep their text', async () => {
  const [a, b, c] = await Promise.all([parseRecipient(`jwe:${KEYS.rsa1.pub}`), parseRecipient(`jwe:${KEYS.rsa2.pub}`), parseRecipient(`jwe:${KEYS.ec.pub}`)]);
  const layer = await jweLayer([a!, b!, c!]);
  const extra = (await jweLayer([c!])).annotations[JWE]!;
  layer.annotations[JWE] = `${layer.annotations[JWE]},${extra}`;
  const jwkTarget = await parseRecipient(`jwe:${KEYS.rsa1.jwk}`, { ...ctx, purpose: 'match' });
  const r = await removeLayerRecipients(layer, [jwkTarget], ctx, 'layer');
  assert.deepEqual(r.removed, [a!.label]);
  const [first, second] = r.annotations[JWE]!.split(',');
  assert.equal(second, extra, 'the untouched entry is kept verbatim');
  const left = JSON.parse(Buffer.from(first!, 'base64').toString('utf8'));
  assert.equal(left.recipients.length, 2);
  assert.equal(left.encrypted_key, undefined, 'no stale top-level encrypted_key');

  // Strip every kid: only the private key can tell whose entry it is.
  const anon = { ...left, recipients: left.recipients.map((x: { header: Record<string, unknown> }) => ({ ...x, header: { ...x.header, kid: undefined } })) };
  const kidless = { ...layer, annotations: { ...layer.annotations, [JWE]: Buffer.from(JSON.stringify(anon)).toString('base64') } };
  const byPublic = await removeLayerRecipients(kidless, [await parseRecipient(`jwe:${KEYS.ec.pub}`, { ...ctx, purpose: 'match' })], ctx, 'layer');
  assert.deepEqual(byPublic.removed, []);
  const byPrivate = await removeLayerRecipients(kidless, [await parseRecipient(`jwe:${KEYS.ec.priv}`, { ...ctx, purpose: 'match' })], ctx, 'layer');
  assert.equal(byPrivate.removed.length, 1);
  assert.equal(JSON.parse(Buffer.from(byPrivate.annotations[JWE]!, 'base64').toString()).recipients.length, 1);

  await assert.rejects(
    removeLayerRecipients(await jweLayer([a!]), [await parseRecipient(`jwe:${KEYS.rsa1.priv}`, { ...ctx, purpose: 'match' })], ctx, 'layer 0'),
    (e) => isImgsealError(e, 'LAST_RECIPIENT') && /^layer 0: removing jwe:/.test(e.message),
  );
  await assert.rejects(parseRecipient(`jwe:${KEYS.rsa1.priv}`), (e) => isImgsealError(e, 'INVALID_RECIPIENT'), 'a private key is no encryption recipient');
});
