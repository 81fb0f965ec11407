/**
 * `dir:` (containers/image's directory transport) against the real skopeo: what skopeo
 * writes imgseal reads and what imgseal writes skopeo reads — a single image, a whole
 * index (--all), and an encrypted image that skopeo decrypts. A folder that is not a
 * `dir:` image is never overwritten; an existing image is replaced only when the copy
 * succeeded.
 */
import assert from 'node:assert/strict';
import { existsSync, mkdirSync, readdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { before, test } from 'node:test';
import { buildLayout, buildMultiArchLayout, type BuiltImage, type MultiArch } from '../testkit/image-builder.js';
import { readImage, readIndexImages, sha256, snapshotTree } from '../testkit/image-reader.js';
import { requireTool } from '../testkit/tools.js';
import { KEYS, assertEncrypted, assertOneLineFailure, assertSameImage, assertSameIndex, imgsealOk, imgseal, skopeo, workDir } from './helpers.js';

const work = workDir('dir');
let single: string;
let orig: BuiltImage;
let multi: string;
let multiOrig: MultiArch;

before(async () => {
  single = work.dir('single');
  orig = await buildLayout(single, [{ files: { 'a.txt': 'dir transport\n' }, compression: 'gzip' }, { files: { 'b.txt': 'second layer\n' }, compression: 'none' }]);
  multi = work.dir('multi');
  multiOrig = await buildMultiArchLayout(multi);
});

test('skopeo writes dir: → imgseal reads it; imgseal writes dir: → skopeo reads it, same bytes', async (t) => {
  if (!requireTool('skopeo', t)) return;
  const bySkopeo = work.dir('by-skopeo');
  await skopeo(['copy', '-q', `oci:${single}:base`, `dir:${bySkopeo}`]);
  const viaImgseal = work.dir('via-imgseal');
  await imgsealOk(['copy', '-q', `dir:${bySkopeo}`, `oci:${viaImgseal}:x`]);
  assertSameImage(await readImage(viaImgseal, 'x'), orig, 'skopeo dir: → imgseal');

  const byImgseal = work.dir('by-imgseal');
  await imgsealOk(['copy', '-q', `oci:${single}:base`, `dir:${byImgseal}`]);
  assert.equal(readFileSync(join(byImgseal, 'version'), 'utf8'), 'Directory Transport Version: 1.1\n');
  const names = readdirSync(byImgseal).sort();
  const expected = ['manifest.json', 'version', orig.config.digest, ...orig.layers.map((l) => l.desc.digest)].map((n) => n.replace(/^sha256:/, '')).sort();
  assert.deepEqual(names, expected, 'blobs named by hex digest, nothing else');
  assert.equal(sha256(readFileSync(join(byImgseal, 'manifest.json'))), orig.manifest.digest, 'the manifest as the source had it');
  const viaSkopeo = work.dir('via-skopeo');
  await skopeo(['copy', '-q', `dir:${byImgseal}`, `oci:${viaSkopeo}:x`]);
  // skopeo gzips the uncompressed layer on its way into oci:, so only the gzip one keeps its bytes
  assertSameImage(await readImage(viaSkopeo, 'x'), orig, 'imgseal dir: → skopeo', { sameBlobs: 'gzip' });
});

test('a whole index (--all) both ways: instance manifests as HEX.manifest.json', async (t) => {
  if (!requireTool('skopeo', t)) return;
  const byImgseal = work.dir('multi-imgseal');
  await imgsealOk(['copy', '-q', '--all', `oci:${multi}:base`, `dir:${byImgseal}`]);
  for (const img of multiOrig.images) assert.ok(existsSync(join(byImgseal, `${img.manifest.digest.slice(7)}.manifest.json`)));
  const viaSkopeo = work.dir('multi-via-skopeo');
  await skopeo(['copy', '-q', '--all', `dir:${byImgseal}`, `oci:${viaSkopeo}:x`]);
  assertSameIndex(await readIndexImages(viaSkopeo, 'x'), multiOrig, 'imgseal dir: index → skopeo', { sameIndex: true });

  const bySkopeo = work.dir('multi-skopeo');
  await skopeo(['copy', '-q', '--all', `oci:${multi}:base`, `dir:${bySkopeo}`]);
  const viaImgseal = work.dir('multi-via-imgseal');
  await imgsealOk(['copy', '-q', '--all', `dir:${bySkopeo}`, `oci:${viaImgseal}:x`]);
  assertSameIndex(await readIndexImages(viaImgseal, 'x'), multiOrig, 'skopeo dir: index → imgseal', { sameIndex: true });
});

test('imgseal encrypts into dir: → skopeo decrypts it; imgseal decrypts what it wrote', async (t) => {
  if (!requireTool('skopeo', t)) return;
  const enc = work.dir('enc');
  await imgsealOk(['encrypt', '-q', '--encryption-key', `jwe:${KEYS.rsa.pub}`, `oci:${single}:base`, `dir:${enc}`]);
  const asOci = work.dir('enc-oci');
  await imgsealOk(['copy', '-q', `dir:${enc}`, `oci:${asOci}:x`]);
  assertEncrypted(await readImage(asOci, 'x'), orig, 'encrypted in dir:');
  const bySkopeo = work.dir('dec-skopeo');
  await skopeo(['copy', '-q', '--decryption-key', KEYS.rsa.priv, `dir:${enc}`, `oci:${bySkopeo}:x`]);
  assertSameImage(await readImage(bySkopeo, 'x'), orig, 'skopeo decrypts dir:', { sameBlobs: 'gzip' });
  const byImgseal = work.dir('dec-imgseal');
  await imgsealOk(['decrypt', '-q', '--decryption-key', KEYS.rsa.priv, `dir:${enc}`, `oci:${byImgseal}:x`]);
  assertSameImage(await readImage(byImgseal, 'x'), orig, 'imgseal decrypts dir:');
});

test('a folder that is not a dir: image is refused; an existing image is replaced only by a copy that succeeds', async () => {
  const foreign = work.dir('foreign');
  mkdirSync(foreign, { recursive: true });
  writeFileSync(join(foreign, 'notes.txt'), 'mine\n');
  const before = snapshotTree(foreign);
  assertOneLineFailure(await imgseal(['copy', '-q', `oci:${single}:base`, `dir:${foreign}`]), /not a containers image folder; refusing to overwrite it/, 'foreign folder');
  assert.deepEqual(snapshotTree(foreign), before, 'the foreign folder is untouched');

  const target = work.dir('replace');
  await imgsealOk(['copy', '-q', `oci:${single}:base`, `dir:${target}`]);
  const first = snapshotTree(target);
  // A copy that fails (no key for an encrypted image) leaves the old image as it was.
  const enc = work.dir('enc-for-replace');
  await imgsealOk(['encrypt', '-q', '--encryption-key', `jwe:${KEYS.rsa.pub}`, `oci:${single}:base`, `oci:${enc}:x`]);
  assertOneLineFailure(await imgseal(['decrypt', '-q', `oci:${enc}:x`, `dir:${target}`]), /missing private key needed for decryption/, 'decrypt without key');
  assert.deepEqual(snapshotTree(target), first, 'the old image is intact');
  // A copy that succeeds replaces it whole: the encrypted image, nothing of the old one left.
  await imgsealOk(['copy', '-q', `oci:${enc}:x`, `dir:${target}`]);
  const now = readdirSync(target);
  assert.ok(!now.includes(orig.layers[0]!.desc.digest.slice(7)), 'old layers gone');
  assert.equal(readdirSync(work.root).filter((n) => n.includes('.imgseal-')).length, 0, 'no staging folder left');
});
