// Reading content addressed by sha512 (accepted on read, as the OCI spec allows):
// a layer named by a sha512 digest copies, verified, into blobs/sha512/.
import assert from 'node:assert/strict';
import { createHash } from 'node:crypto';
import { mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, test } from 'node:test';
import { runCli } from '../testkit/cli.js';

const dir = mkdtempSync(join(tmpdir(), 'imgseal-sha512-'));
after(() => rmSync(dir, { recursive: true, force: true }));

function put(layout: string, alg: 'sha256' | 'sha512', data: Buffer): string {
  const hex = createHash(alg).update(data).digest('hex');
  mkdirSync(join(layout, 'blobs', alg), { recursive: true });
  writeFileSync(join(layout, 'blobs', alg, hex), data);
  return `${alg}:${hex}`;
}

function layout(name: string, corrupt: boolean): string {
  const l = join(dir, name);
  const layer = Buffer.from('not really a tar, but a blob named by sha512');
  const layerDigest = put(l, 'sha512', layer);
  if (corrupt) writeFileSync(join(l, 'blobs', 'sha512', layerDigest.slice(7)), Buffer.from('something else entirely'));
  const config = Buffer.from('{"architecture":"amd64","os":"linux","rootfs":{"type":"layers","diff_ids":[]}}');
  const configDigest = put(l, 'sha256', config);
  const manifest = Buffer.from(JSON.stringify({
    schemaVersion: 2,
    mediaType: 'application/vnd.oci.image.manifest.v1+json',
    config: { mediaType: 'application/vnd.oci.image.config.v1+json', digest: configDigest, size: config.length },
    layers: [{ mediaType: 'application/vnd.oci.image.layer.v1.tar', digest: layerDigest, size: layer.length }],
  }));
  const md = put(l, 'sha256', manifest);
  writeFileSync(join(l, 'oci-layout'), '{"imageLayoutVersion":"1.0.0"}');
  writeFileSync(join(l, 'index.json'), JSON.stringify({ schemaVersion: 2, manifests: [{ mediaType: 'application/vnd.oci.image.manifest.v1+json', digest: md, size: manifest.length }] }));
  return layerDigest;
}

test('a sha512-addressed layer is verified and copied under blobs/sha512', async () => {
  const d = layout('src', false);
  const r = await runCli(['copy', '-q', `oci:${join(dir, 'src')}`, `oci:${join(dir, 'out')}:v1`]);
  assert.equal(r.code, 0, r.stderr);
  assert.deepEqual(readFileSync(join(dir, 'out', 'blobs', 'sha512', d.slice(7))), readFileSync(join(dir, 'src', 'blobs', 'sha512', d.slice(7))));
});

test('a sha512-addressed layer whose content does not match is refused', async () => {
  layout('bad', true);
  const r = await runCli(['copy', '-q', `oci:${join(dir, 'bad')}`, `oci:${join(dir, 'out-bad')}:v1`]);
  assert.equal(r.code, 1);
  assert.match(r.stderr, /sha512:.*(digest mismatch|bytes)/);
});
