// Issue 3, part 4: which layers and which platforms get encrypted.
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, test } from 'node:test';
import { errorLines, FIXTURES, runCli } from '../testkit/cli.js';
import { buildLayout, buildMultiArchLayout, type LayerSpec } from '../testkit/image-builder.js';
import { listBlobs, listDir, readImage, readIndexImages, snapshotTree } from '../testkit/image-reader.js';

const PUB = join(FIXTURES, 'jwe-rsa2048/keys/rsa1_pub.pem');
const PRIV = join(FIXTURES, 'jwe-rsa2048/keys/rsa1_priv.pem');
const ENC = ['--encryption-key', `jwe:${PUB}`];

const tmp = mkdtempSync(join(tmpdir(), 'imgseal-sel-'));
after(() => rmSync(tmp, { recursive: true, force: true }));
let n = 0;
const dir = (name: string): string => join(tmp, `${name}-${n++}`);

const TWO: LayerSpec[] = [
  { files: { 'base.txt': 'base\n' }, compression: 'gzip' },
  { files: { 'top.txt': 'top\n' }, compression: 'gzip' },
];

async function encryptTwo(layerArgs: string[]): Promise<{ orig: Awaited<ReturnType<typeof buildLayout>>; out: string; code: number | null; stderr: string }> {
  const src = dir('src');
  const orig = await buildLayout(src, TWO);
  const out = dir('out');
  const r = await runCli(['encrypt', '-q', ...ENC, ...layerArgs, `oci:${src}:base`, `oci:${out}:enc`]);
  return { orig, out, code: r.code, stderr: r.stderr };
}

for (const [flag, encrypted] of [
  ['0', 0],
  ['-1', 1],
  ['1', 1],
  ['-2', 0],
] as const) {
  test(`--encrypt-layer ${flag} encrypts exactly layer ${encrypted} of 2`, async () => {
    const { orig, out, code, stderr } = await encryptTwo(['--encrypt-layer', flag]);
    assert.equal(code, 0, stderr);
    const img = await readImage(out, 'enc');
    img.layers.forEach((l, i) => {
      if (i === encrypted) {
        assert.equal(l.desc.mediaType, 'application/vnd.oci.image.layer.v1.tar+gzip+encrypted');
        assert.notEqual(l.desc.digest, orig.layers[i]!.desc.digest);
      } else {
        assert.deepEqual(l.desc, orig.layers[i]!.desc, `layer ${i} stays plaintext`);
      }
    });
    assert.deepEqual(img.configBytes, orig.configBytes);
  });
}

test('--encrypt-layer 0 and 1 together encrypt both layers', async () => {
  const { out, code, stderr } = await encryptTwo(['--encrypt-layer', '0', '--encrypt-layer', '1']);
  assert.equal(code, 0, stderr);
  const img = await readImage(out, 'enc');
  assert.ok(img.layers.every((l) => l.desc.mediaType.endsWith('+encrypted')));
});

for (const idx of ['5', '-3']) {
  test(`--encrypt-layer ${idx} out of range fails and writes nothing`, async () => {
    const { out, code, stderr } = await encryptTwo(['--encrypt-layer', idx]);
    assert.notEqual(code, 0);
    const lines = errorLines(stderr);
    assert.equal(lines.length, 1, stderr);
    assert.ok(lines[0]!.includes(`layer index ${idx} out of range (2 layers exist)`), lines[0]);
    assert.equal(snapshotTree(out), undefined);
    assert.deepEqual(listDir(tmp).filter((e) => e.startsWith('.')), [], 'no staging folder left');
  });
}

test('library: out-of-range layer index is LAYER_INDEX_OUT_OF_RANGE with the exact message', async () => {
  const { copyImage } = await import('../../src/copy/index.js');
  const { parseRecipient } = await import('../../src/crypto/index.js');
  const { parseImageName } = await import('../../src/transports/transports.js');
  const src = dir('src');
  await buildLayout(src, TWO);
  await assert.rejects(
    copyImage(parseImageName(`oci:${src}:base`), parseImageName(`oci:${dir('o')}:x`), { encrypt: { recipients: [await parseRecipient(`jwe:${PUB}`)], layers: [5] } }),
    (err: Error & { code?: string }) => err.code === 'LAYER_INDEX_OUT_OF_RANGE' && err.message.includes('layer index 5 out of range (2 layers exist)'),
  );
});


type Via = 'cli' | 'library';

/** Encrypts (or decrypts) an image through the CLI or through copyImage with the equivalent options. */
async function run(via: Via, mode: 'encrypt' | 'decrypt', opts: { platform?: string; all?: boolean }, src: string, dest: string): Promise<void> {
  if (via === 'cli') {
    const args = [mode, '-q', ...(mode === 'encrypt' ? ENC : ['--decryption-key', PRIV])];
    if (opts.platform) args.push('--platform', opts.platform);
    if (opts.all) args.push('--all-platforms');
    const r = await runCli([...args, src, dest]);
    assert.equal(r.code, 0, r.stderr);
    return;
  }
  const { copyImage } = await import('../../src/copy/index.js');
  const { loadDecryptionKey, parseRecipient } = await import('../../src/crypto/index.js');
  const { parsePlatform } = await import('../../src/model/platform.js');
  const { parseImageName } = await import('../../src/transports/transports.js');
  await copyImage(parseImageName(src), parseImageName(dest), {
    ...(mode === 'encrypt' ? { encrypt: { recipients: [await parseRecipient(`jwe:${PUB}`)] } } : { decrypt: { keys: [await loadDecryptionKey(PRIV)] } }),
    ...(opts.platform ? { platforms: [parsePlatform(opts.platform)] } : {}),
    allPlatforms: !!opts.all,
  });
}

for (const via of ['library', 'cli'] as const) {
  test(`${via}: multi-arch, --all-platforms: every layer of every platform is encrypted; configs and platforms kept; the shared layer is encrypted once`, async () => {
  const src = dir('multi');
  const orig = await buildMultiArchLayout(src);
  const out = dir('out');
  await run(via, 'encrypt', { all: true }, `oci:${src}:base`, `oci:${out}:enc`);
  const idx = await readIndexImages(out, 'enc');
  assert.equal(idx.desc.mediaType, 'application/vnd.oci.image.index.v1+json');
  assert.deepEqual(
    idx.index.manifests.map((m) => m.platform),
    orig.images.map((i) => i.platform),
  );
  for (const [i, o] of orig.images.entries()) {
    const img = idx.images.get(`linux/${o.platform.architecture}`)!;
    assert.deepEqual(img.configBytes, o.configBytes, 'config byte-identical');
    assert.equal(img.layers.length, 2);
    for (const l of img.layers) assert.match(l.desc.mediaType, /\+encrypted$/, `image ${i}`);
  }
  const amd = idx.images.get('linux/amd64')!;
  const arm = idx.images.get('linux/arm64')!;
  assert.deepEqual(amd.layers[0]!.desc, arm.layers[0]!.desc, 'shared layer: same ciphertext and annotations in both manifests');
  assert.notEqual(amd.layers[1]!.desc.digest, arm.layers[1]!.desc.digest);
  // Blobs: index + 2 manifests + 2 configs + 3 encrypted layers; no plaintext layer blob.
  const blobs = listBlobs(out);
  assert.equal(blobs.size, 8, [...blobs.keys()].join(' '));
  for (const l of [orig.shared, orig.images[0]!.layers[1]!, orig.images[1]!.layers[1]!]) assert.ok(!blobs.has(l.desc.digest), 'no plaintext layer stored');

  // And back: decrypting every platform restores every layer blob.
  const back = dir('back');
  await run(via, 'decrypt', { all: true }, `oci:${out}:enc`, `oci:${back}:plain`);
  const restored = await readIndexImages(back, 'plain');
  for (const o of orig.images) {
    const img = restored.images.get(`linux/${o.platform.architecture}`)!;
    assert.deepEqual(
      img.layers.map((l) => l.desc),
      o.layers.map((l) => l.desc),
    );
    assert.deepEqual(img.files, { 'shared.txt': 'shared base layer\n', 'arch.txt': `built for ${o.platform.architecture}\n` });
  }
});

  test(`${via}: multi-arch, --platform linux/arm64 --all-platforms: only arm64 layers are encrypted; amd64 manifest and every config byte-identical`, async () => {
  const src = dir('multi');
  const orig = await buildMultiArchLayout(src);
  const out = dir('out');
  await run(via, 'encrypt', { platform: 'linux/arm64', all: true }, `oci:${src}:base`, `oci:${out}:enc`);
  const idx = await readIndexImages(out, 'enc');
  assert.equal(idx.index.manifests.length, 2);
  const amd = idx.images.get('linux/amd64')!;
  const arm = idx.images.get('linux/arm64')!;
  const [oAmd, oArm] = orig.images as [(typeof orig.images)[0], (typeof orig.images)[0]];
  assert.equal(amd.desc.digest, oAmd.manifest.digest, 'amd64 manifest unchanged');
  assert.deepEqual(amd.manifestBytes, oAmd.manifestBytes);
  assert.deepEqual(amd.configBytes, oAmd.configBytes);
  assert.deepEqual(arm.configBytes, oArm.configBytes);
  assert.equal(arm.manifest.config.digest, oArm.config.digest);
  for (const l of arm.layers) assert.match(l.desc.mediaType, /\+encrypted$/);
  for (const [i, l] of amd.layers.entries()) assert.deepEqual(l.desc, oAmd.layers[i]!.desc);
  assert.deepEqual(amd.files, { 'shared.txt': 'shared base layer\n', 'arch.txt': 'built for amd64\n' });
});
}

test('multi-arch, --platform linux/arm64 alone: only that image is copied (as a single manifest), encrypted', async () => {
  const src = dir('multi');
  const orig = await buildMultiArchLayout(src);
  const out = dir('out');
  const r = await runCli(['encrypt', '-q', ...ENC, '--platform', 'linux/arm64', `oci:${src}:base`, `oci:${out}:enc`]);
  assert.equal(r.code, 0, r.stderr);
  const img = await readImage(out, 'enc');
  const oArm = orig.images[1]!;
  assert.equal(img.manifest.config.digest, oArm.config.digest);
  assert.equal(img.config.architecture, 'arm64');
  assert.equal(img.layers.length, 2);
  for (const l of img.layers) assert.match(l.desc.mediaType, /\+encrypted$/);
  const blobs = listBlobs(out);
  assert.ok(!blobs.has(orig.images[0]!.config.digest), 'amd64 config not copied');
  assert.ok(!blobs.has(orig.images[0]!.layers[1]!.desc.digest), 'amd64 layer not copied');
  assert.equal(blobs.size, 4, 'manifest + config + 2 layers');
});

test('multi-arch, --platform that the index lacks fails and writes nothing', async () => {
  const src = dir('multi');
  await buildMultiArchLayout(src);
  const out = dir('out');
  const r = await runCli(['encrypt', '-q', ...ENC, '--platform', 'linux/s390x', `oci:${src}:base`, `oci:${out}:enc`]);
  assert.equal(r.code, 1, r.stderr);
  assert.equal(errorLines(r.stderr).length, 1, r.stderr);
  assert.match(r.stderr, /linux\/s390x/);
  assert.equal(snapshotTree(out), undefined);
});

test('copy --json reports per-layer actions for --encrypt-layer -1', async () => {
  const src = dir('src');
  const orig = await buildLayout(src, TWO);
  const r = await runCli(['copy', '--json', ...ENC, '--encrypt-layer', '-1', `oci:${src}:base`, `oci:${dir('o')}:enc`]);
  assert.equal(r.code, 0, r.stderr);
  const res = JSON.parse(r.stdout) as { layers: { index: number; action: string; sourceDigest: string }[] };
  assert.deepEqual(
    res.layers.map((l) => [l.index, l.action, l.sourceDigest]),
    [
      [0, 'copy', orig.layers[0]!.desc.digest],
      [1, 'encrypt', orig.layers[1]!.desc.digest],
    ],
  );
});
