// imgseal inspect: skopeo-like JSON, --raw bytes, --config, and the platform choice for an index.
import assert from 'node:assert/strict';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, test } from 'node:test';
import { runCli } from '../testkit/cli.js';
import { buildLayout, buildMultiArchLayout, type BuiltImage, type MultiArch } from '../testkit/image-builder.js';

let dir: string;
let single: BuiltImage;
let multi: MultiArch;

before(async () => {
  dir = mkdtempSync(join(tmpdir(), 'imgseal-inspect-'));
  single = await buildLayout(join(dir, 'one'), [{ files: { 'a.txt': 'a\n' }, compression: 'gzip' }, { files: { 'b.txt': 'b\n' }, compression: 'none' }], { ref: 'v1' });
  multi = await buildMultiArchLayout(join(dir, 'multi'), { ref: 'v1' });
});
after(() => rmSync(dir, { recursive: true, force: true }));

test('inspect prints digest, platform and every layer as JSON', async () => {
  const r = await runCli(['inspect', `oci:${join(dir, 'one')}:v1`]);
  assert.equal(r.code, 0, r.stderr);
  const j = JSON.parse(r.stdout);
  assert.equal(j.Digest, single.manifest.digest);
  assert.equal(j.Os, single.platform.os);
  assert.equal(j.Architecture, single.platform.architecture);
  assert.deepEqual(j.Layers, single.layers.map((l) => l.desc.digest));
  assert.deepEqual(j.LayersData.map((l: { MIMEType: string; Size: number }) => [l.MIMEType, l.Size]), single.layers.map((l) => [l.desc.mediaType, l.desc.size]));
  assert.equal(j.Platforms, undefined);
});

test('inspect --raw prints the stored manifest bytes and --config the config', async () => {
  const raw = await runCli(['inspect', '--raw', `oci:${join(dir, 'one')}:v1`]);
  assert.equal(raw.code, 0, raw.stderr);
  assert.equal(raw.stdout, single.manifestBytes.toString('utf8'));
  const cfg = await runCli(['inspect', '--config', `oci:${join(dir, 'one')}:v1`]);
  assert.deepEqual(JSON.parse(cfg.stdout), JSON.parse(single.configBytes.toString('utf8')));
});

test('inspect of an index lists its platforms and describes the chosen one', async () => {
  const arm = multi.images.find((i) => i.platform.architecture === 'arm64');
  assert.ok(arm);
  const r = await runCli(['inspect', '--platform', 'linux/arm64', `oci:${join(dir, 'multi')}:v1`]);
  assert.equal(r.code, 0, r.stderr);
  const j = JSON.parse(r.stdout);
  assert.equal(j.Architecture, 'arm64');
  assert.deepEqual(j.Layers, arm.layers.map((l) => l.desc.digest));
  assert.deepEqual(j.Platforms.map((p: { Platform: string }) => p.Platform).sort(), ['linux/amd64', 'linux/arm64']);
  const raw = await runCli(['inspect', '--raw', `oci:${join(dir, 'multi')}:v1`]);
  assert.equal(JSON.parse(raw.stdout).manifests.length, 2);
  const idx = JSON.parse(readFileSync(join(dir, 'multi', 'index.json'), 'utf8'));
  assert.equal(j.Digest, idx.manifests[0].digest);
});

test('inspect of a platform the index lacks fails with one line', async () => {
  const r = await runCli(['inspect', '--platform', 'linux/s390x', `oci:${join(dir, 'multi')}:v1`]);
  assert.equal(r.code, 1);
  assert.match(r.stderr, /^imgseal: no image for platform linux\/s390x in the index \(it has: linux\/amd64, linux\/arm64\)/);
  assert.equal(r.stderr.trim().split('\n').length, 1);
});
