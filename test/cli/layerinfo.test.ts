// Issue 3, part 5: imgseal layerinfo (table and --json) on plain, imgseal-encrypted and
// skopeo-encrypted images, and --platform filtering.
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, test } from 'node:test';
import { FIXTURES, runCli } from '../testkit/cli.js';
import { buildLayout, buildMultiArchLayout, type BuiltImage, type MultiArch } from '../testkit/image-builder.js';
import { readImage, readIndexImages } from '../testkit/image-reader.js';
import type { LayerInfo } from '../../src/inspect/layerinfo.js';

/** The JSON rows are the library's LayerInfo, as `imgseal layerinfo --json` prints them. */
type Row = LayerInfo;

const tmp = mkdtempSync(join(tmpdir(), 'imgseal-layerinfo-'));
after(() => rmSync(tmp, { recursive: true, force: true }));

let plain: BuiltImage;
let multi: MultiArch;
const fingerprints: string[] = [];

before(async () => {
  plain = await buildLayout(join(tmp, 'img'), [
    { files: { 'a.txt': 'a\n' }, compression: 'gzip' },
    { files: { 'b.txt': 'b\n' }, compression: 'none' },
  ]);
  for (const [name, args] of [
    ['rsa', ['--type', 'rsa', '--bits', '2048']],
    ['ec', ['--type', 'ec']],
  ] as const) {
    const r = await runCli(['keygen', '--json', ...args, '-o', join(tmp, name)]);
    assert.equal(r.code, 0, r.stderr);
    fingerprints.push((JSON.parse(r.stdout) as { fingerprint: string }).fingerprint);
  }
  const r = await runCli([
    'encrypt',
    '-q',
    '--encryption-key',
    `jwe:${join(tmp, 'rsa.pub.pem')}`,
    '--encryption-key',
    `jwe:${join(tmp, 'ec.pub.pem')}`,
    '--encrypt-layer',
    '-1',
    `oci:${join(tmp, 'img')}:base`,
    `oci:${join(tmp, 'img')}:enc`,
  ]);
  assert.equal(r.code, 0, r.stderr);
  multi = await buildMultiArchLayout(join(tmp, 'multi'));
});

async function infoJson(image: string, extra: string[] = []): Promise<Row[]> {
  const r = await runCli(['layerinfo', '--json', ...extra, image]);
  assert.equal(r.code, 0, r.stderr);
  return JSON.parse(r.stdout) as Row[];
}

/** The table: a header and one row per layer, cells separated by 3+ spaces. */
async function infoTable(image: string, extra: string[] = []): Promise<string[][]> {
  const r = await runCli(['layerinfo', ...extra, image]);
  assert.equal(r.code, 0, r.stderr);
  assert.equal(r.stderr, '');
  return r.stdout
    .trimEnd()
    .split('\n')
    .map((l) => l.trim().split(/\s{3,}/));
}

test('layerinfo of a plain image', async () => {
  const rows = await infoJson(`oci:${join(tmp, 'img')}:base`);
  assert.deepEqual(
    rows,
    plain.layers.map((l, index) => ({ index, digest: l.desc.digest, platform: 'linux/amd64', size: l.desc.size, mediaType: l.desc.mediaType, encrypted: false, encryption: [], recipients: [] })),
  );
  const table = await infoTable(`oci:${join(tmp, 'img')}:base`);
  assert.deepEqual(table[0], ['#', 'DIGEST', 'PLATFORM', 'SIZE', 'ENCRYPTION', 'RECIPIENTS']);
  assert.equal(table.length, 3);
  plain.layers.forEach((l, i) => assert.deepEqual(table[i + 1], [String(i), l.desc.digest, 'linux/amd64', String(l.desc.size)]));
});

test('layerinfo of an imgseal-encrypted image lists the recipients by the fingerprints keygen printed', async () => {
  const enc = await readImage(join(tmp, 'img'), 'enc');
  const rows = await infoJson(`oci:${join(tmp, 'img')}:enc`);
  assert.equal(rows.length, 2);
  assert.deepEqual(rows[0], { index: 0, digest: plain.layers[0]!.desc.digest, platform: 'linux/amd64', size: plain.layers[0]!.desc.size, mediaType: plain.layers[0]!.desc.mediaType, encrypted: false, encryption: [], recipients: [] });
  const want = fingerprints.map((f) => `jwe:${f}`).sort();
  assert.deepEqual(rows[1], {
    index: 1,
    digest: enc.layers[1]!.desc.digest,
    platform: 'linux/amd64',
    size: enc.layers[1]!.desc.size,
    mediaType: 'application/vnd.oci.image.layer.v1.tar+encrypted',
    encrypted: true,
    encryption: ['jwe'],
    recipients: want,
  });
  const table = await infoTable(`oci:${join(tmp, 'img')}:enc`);
  assert.deepEqual(table[2], ['1', enc.layers[1]!.desc.digest, 'linux/amd64', String(enc.layers[1]!.desc.size), 'jwe', want.join(', ')]);
});

for (const [kase, recipients] of [
  ['jwe-rsa2048', ['[jwe RSA-OAEP]']],
  ['jwe-rsa-plus-ec', ['[jwe ECDH-ES+A256KW]', '[jwe RSA-OAEP]']],
  ['multi-scheme', null],
] as const) {
  test(`layerinfo of the skopeo-encrypted vector ${kase}`, async () => {
    const img = await readImage(join(FIXTURES, kase, 'image'), 'enc');
    const rows = await infoJson(`oci:${join(FIXTURES, kase, 'image')}:enc`);
    assert.equal(rows.length, 1);
    const row = rows[0]!;
    assert.equal(row.digest, img.layers[0]!.desc.digest);
    assert.equal(row.size, img.layers[0]!.desc.size);
    assert.equal(row.encrypted, true);
    if (recipients) {
      assert.deepEqual(row.encryption, ['jwe']);
      assert.deepEqual(row.recipients, recipients);
    } else {
      assert.deepEqual(row.encryption, ['jwe', 'pgp', 'pkcs7']);
      assert.ok(row.recipients.includes('[jwe RSA-OAEP]'), row.recipients.join());
      assert.ok(row.recipients.some((r) => /pkcs7/.test(r)) && row.recipients.some((r) => /pgp|0x/.test(r)), row.recipients.join());
    }
  });
}

test('layerinfo of a multi-arch index, with and without --platform', async () => {
  const all = await infoJson(`oci:${join(tmp, 'multi')}:base`);
  assert.deepEqual(
    all.map((r) => [r.platform, r.index, r.digest]),
    multi.images.flatMap((img) => img.layers.map((l, i) => [`linux/${img.platform.architecture}`, i, l.desc.digest])),
  );
  const arm = await infoJson(`oci:${join(tmp, 'multi')}:base`, ['--platform', 'linux/arm64']);
  assert.deepEqual(
    arm.map((r) => [r.platform, r.index, r.digest]),
    multi.images[1]!.layers.map((l, i) => ['linux/arm64', i, l.desc.digest]),
  );
  const table = await infoTable(`oci:${join(tmp, 'multi')}:base`, ['--platform', 'linux/amd64']);
  assert.equal(table.length, 3);
  assert.ok(table.slice(1).every((r) => r[2] === 'linux/amd64'));
  const none = await runCli(['layerinfo', '--platform', 'linux/s390x', `oci:${join(tmp, 'multi')}:base`]);
  assert.equal(none.code, 1);
  assert.match(none.stderr, /^imgseal: .*linux\/s390x/);
});

test('layerinfo of a multi-arch index where only arm64 was encrypted', async () => {
  const { copyImage } = await import('../../src/copy/index.js');
  const { parseRecipient } = await import('../../src/crypto/index.js');
  const { parsePlatform } = await import('../../src/model/platform.js');
  const { parseImageName } = await import('../../src/transports/transports.js');
  const out = join(tmp, 'multi-enc');
  await copyImage(parseImageName(`oci:${join(tmp, 'multi')}:base`), parseImageName(`oci:${out}:enc`), {
    encrypt: { recipients: [await parseRecipient(`jwe:${join(tmp, 'ec.pub.pem')}`)] },
    platforms: [parsePlatform('linux/arm64')],
    allPlatforms: true,
  });
  const idx = await readIndexImages(out, 'enc');
  const rows = await infoJson(`oci:${out}:enc`);
  assert.equal(rows.length, 4);
  for (const r of rows) {
    const img = idx.images.get(r.platform)!;
    assert.equal(r.digest, img.layers[r.index]!.desc.digest);
    assert.equal(r.encrypted, r.platform === 'linux/arm64');
    assert.deepEqual(r.recipients, r.platform === 'linux/arm64' ? [`jwe:${fingerprints[1]}`] : []);
  }
  const arm = await infoJson(`oci:${out}:enc`, ['--platform', 'linux/arm64']);
  assert.deepEqual(arm, rows.filter((r) => r.platform === 'linux/arm64'));
});
