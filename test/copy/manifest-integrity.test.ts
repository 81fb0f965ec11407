// A manifest blob that no longer matches the digest index.json names is refused, for a
// single image and for an image inside an index, and nothing is written.
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync, writeFileSync, existsSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, test } from 'node:test';
import { runCli } from '../testkit/cli.js';
import { buildLayout, buildMultiArchLayout } from '../testkit/image-builder.js';
import { blobFile } from '../testkit/image-reader.js';

const dir = mkdtempSync(join(tmpdir(), 'imgseal-manifest-'));
after(() => rmSync(dir, { recursive: true, force: true }));

test('a changed manifest blob is refused with a digest mismatch', async () => {
  const src = join(dir, 'one');
  const img = await buildLayout(src, [{ files: { 'a.txt': 'a\n' }, compression: 'gzip' }], { ref: 'v1' });
  const edited = JSON.parse(img.manifestBytes.toString('utf8'));
  edited.annotations = { 'org.example.injected': 'yes' };
  writeFileSync(blobFile(src, img.manifest.digest), JSON.stringify(edited));
  const r = await runCli(['copy', `oci:${src}:v1`, `oci:${join(dir, 'out1')}:v1`]);
  assert.equal(r.code, 1);
  assert.match(r.stderr, /^imgseal: manifest of oci:.*: digest mismatch/);
  assert.equal(existsSync(join(dir, 'out1')), false);
});

test('a changed manifest of one platform in an index is refused', async () => {
  const src = join(dir, 'multi');
  const m = await buildMultiArchLayout(src, { ref: 'v1' });
  const arm = m.images[1]!;
  const edited = JSON.parse(arm.manifestBytes.toString('utf8'));
  edited.layers[0].annotations = { injected: 'yes' };
  writeFileSync(blobFile(src, arm.manifest.digest), JSON.stringify(edited));
  const r = await runCli(['copy', '--all', `oci:${src}:v1`, `oci:${join(dir, 'out2')}:v1`]);
  assert.equal(r.code, 1);
  assert.match(r.stderr, new RegExp(`manifest ${arm.manifest.digest}: digest mismatch`));
  assert.equal(existsSync(join(dir, 'out2')), false);
});
