/**
 * Archives through the CLI, cross-checked with skopeo 1.9.3:
 *  - imgseal encrypts into oci-archive: → skopeo decrypts the archive (RSA and EC);
 *  - skopeo encrypts into oci-archive: → imgseal decrypts it;
 *  - imgseal writes docker-archive: (plain) → skopeo reads it; skopeo writes
 *    docker-archive: → imgseal reads it;
 *  - encrypting into docker-archive: fails with one clear line and writes no file.
 */
import assert from 'node:assert/strict';
import { existsSync, readdirSync } from 'node:fs';
import { join } from 'node:path';
import { before, test } from 'node:test';
import { buildLayout, type BuiltImage } from '../testkit/image-builder.js';
import { readImage } from '../testkit/image-reader.js';
import { requireTool } from '../testkit/tools.js';
import { assertEncrypted, assertOneLineFailure, assertSameImage, builtFiles, ENC_RSA_EC, imgseal, imgsealOk, KEYS, skopeo, workDir } from './helpers.js';

const work = workDir('archive');
let srcDir: string;
let orig: BuiltImage;

before(async () => {
  srcDir = work.dir('src');
  orig = await buildLayout(srcDir, [
    { files: { 'hello.txt': 'hello from an archived layer\n', 'etc/x.conf': 'x=1\n' }, compression: 'gzip' },
    { files: { 'top.txt': 'the uncompressed top layer of the archive test\n' }, compression: 'none' },
  ]);
});

test('imgseal copy --encryption-key … oci-archive:f.tar → skopeo --decryption-key reads it (RSA and EC)', async (t) => {
  if (!requireTool('skopeo', t)) return;
  const file = join(work.root, 'enc.tar');
  await imgsealOk(['copy', '-q', ...ENC_RSA_EC, `oci:${srcDir}:base`, `oci-archive:${file}:enc`]);
  const cipher = work.dir('cipher');
  await skopeo(['copy', '-q', `oci-archive:${file}:enc`, `oci:${cipher}:x`]);
  assertEncrypted(await readImage(cipher, 'x'), orig, 'the archived image');
  for (const key of ['rsa', 'ec'] as const) {
    const out = work.dir(`dec-${key}`);
    await skopeo(['copy', '-q', '--decryption-key', KEYS[key].priv, `oci-archive:${file}:enc`, `oci:${out}:x`]);
    assertSameImage(await readImage(out, 'x'), orig, `skopeo decryption with the ${key} key`);
  }
});

test('skopeo --encryption-key … oci-archive:f.tar → imgseal decrypt restores it', async (t) => {
  if (!requireTool('skopeo', t)) return;
  const file = join(work.root, 'sk-enc.tar');
  await skopeo(['copy', '-q', ...ENC_RSA_EC, `oci:${srcDir}:base`, `oci-archive:${file}:enc`]);
  const out = work.dir('is-dec');
  await imgsealOk(['decrypt', '-q', '--decryption-key', KEYS.ec.priv, `oci-archive:${file}:enc`, `oci:${out}:x`]);
  // skopeo gzips the uncompressed layer before encrypting it.
  assertSameImage(await readImage(out, 'x'), orig, 'imgseal decryption of the skopeo archive', { sameBlobs: 'gzip' });
});

test('docker-archive: imgseal writes → skopeo reads; skopeo writes → imgseal reads', async (t) => {
  if (!requireTool('skopeo', t)) return;
  const mine = join(work.root, 'mine-docker.tar');
  await imgsealOk(['copy', '-q', `oci:${srcDir}:base`, `docker-archive:${mine}:e2e/app:v1`]);
  const out1 = work.dir('sk-read');
  await skopeo(['copy', '-q', `docker-archive:${mine}`, `oci:${out1}:x`]);
  assertSameImage(await readImage(out1, 'x'), orig, 'skopeo reading imgseal docker-archive', { sameBlobs: 'none' });

  const theirs = join(work.root, 'skopeo-docker.tar');
  await skopeo(['copy', '-q', `oci:${srcDir}:base`, `docker-archive:${theirs}:e2e/app:v2`]);
  const out2 = work.dir('is-read');
  await imgsealOk(['copy', '-q', `docker-archive:${theirs}:e2e/app:v2`, `oci:${out2}:x`]);
  const got = await readImage(out2, 'x');
  assert.deepEqual(got.files, builtFiles(orig), 'imgseal reading skopeo docker-archive: files');
  assert.deepEqual(
    got.layers.map((l) => l.diffId),
    orig.layers.map((l) => l.diffId),
  );
});

test('encrypting into docker-archive: fails with one clear line and writes no file', async () => {
  const file = join(work.root, 'refused-docker.tar');
  const before = readdirSync(work.root).sort();
  const r = await imgseal(['copy', '-q', '--encryption-key', `jwe:${KEYS.rsa.pub}`, `oci:${srcDir}:base`, `docker-archive:${file}:e2e/app:enc`]);
  assertOneLineFailure(r, /docker-archive:.*does not support encryption/, 'encrypting into docker-archive');
  assert.equal(existsSync(file), false, 'no archive written');
  assert.deepEqual(readdirSync(work.root).sort(), before, 'no temporary file left either');
});
