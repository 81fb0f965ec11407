import { test } from 'node:test';
import assert from 'node:assert/strict';
import { createHash } from 'node:crypto';
import { readFile, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { Readable } from 'node:stream';
import { isImgsealError } from '../../../src/errors.js';
import { sha256Digest } from '../../../src/model/digest.js';
import { parseOciArchiveReference } from '../../../src/transports/archive/index.js';
import {
  PLAIN_BASE,
  PLAIN_TWO_LAYER,
  collect,
  failingStream,
  feed,
  listDir,
  needSkopeo,
  readLayout,
  sh,
  skopeo,
  tempDir,
} from './helpers.js';

const ctx = {};

test('oci-archive source reads what skopeo writes: manifest, config and every blob', async (t) => {
  if (!(await needSkopeo(t))) return;
  const dir = await tempDir(t);
  const file = join(dir, 'img.tar');
  await skopeo(dir, 'copy', '-q', `oci:${PLAIN_TWO_LAYER}:base`, `oci-archive:${file}:myref`);
  const fixture = await readLayout(PLAIN_TWO_LAYER);

  for (const name of [`${file}:myref`, file]) {
    const src = await parseOciArchiveReference(name).newImageSource(ctx);
    try {
      const m = await src.getManifest();
      assert.equal(m.digest, fixture.manifestDigest);
      assert.equal(sha256Digest(m.bytes), m.digest);
      assert.equal(m.mediaType, 'application/vnd.oci.image.manifest.v1+json');
      for (const d of [fixture.config, ...fixture.layers]) {
        const bytes = await collect(await src.getBlob(d));
        assert.equal(`sha256:${createHash('sha256').update(bytes).digest('hex')}`, d.digest);
        assert.deepEqual(bytes, await fixture.blob(d.digest));
      }
      await assert.rejects(src.getBlob({ ...fixture.config, digest: sha256Digest('nope') }), (e) => isImgsealError(e, 'BLOB_NOT_FOUND'));
    } finally {
      await src.close();
    }
  }
});

test('oci-archive source: REF selection, missing and ambiguous images, compressed archives', async (t) => {
  if (!(await needSkopeo(t))) return;
  const dir = await tempDir(t);
  const layout = join(dir, 'layout');
  await skopeo(dir, 'copy', '-q', `oci:${PLAIN_BASE}:base`, `oci:${layout}:one`);
  await skopeo(dir, 'copy', '-q', `oci:${PLAIN_TWO_LAYER}:base`, `oci:${layout}:two`);
  const file = join(dir, 'two.tar');
  await sh('tar', ['-C', layout, '-cf', file, '.']); // "./"-prefixed names, as GNU tar writes them

  const two = await parseOciArchiveReference(`${file}:two`).newImageSource(ctx);
  assert.equal((await two.getManifest()).digest, (await readLayout(PLAIN_TWO_LAYER)).manifestDigest);
  await two.close();

  await assert.rejects(parseOciArchiveReference(file).newImageSource(ctx), (e) => {
    assert.ok(isImgsealError(e, 'AMBIGUOUS_IMAGE'));
    assert.match(e.message, /2 images.*one, two/);
    return true;
  });
  await assert.rejects(parseOciArchiveReference(`${file}:three`).newImageSource(ctx), (e) => isImgsealError(e, 'IMAGE_NOT_FOUND') && /"three"/.test(e.message));
  await assert.rejects(parseOciArchiveReference(join(dir, 'absent.tar')).newImageSource(ctx), (e) => isImgsealError(e, 'IMAGE_NOT_FOUND'));

  const gz = join(dir, 'two.tar.gz');
  await writeFile(gz, (await import('node:zlib')).gzipSync(await readFile(file)));
  const fromGz = await parseOciArchiveReference(`${gz}:two`).newImageSource(ctx); // compressed.test.ts covers the details
  assert.equal((await fromGz.getManifest()).digest, (await readLayout(PLAIN_TWO_LAYER)).manifestDigest);
  await fromGz.close();
  const notTar = join(dir, 'not.tar');
  await writeFile(notTar, 'hello'.repeat(200));
  await assert.rejects(parseOciArchiveReference(notTar).newImageSource(ctx), (e) => isImgsealError(e, 'MANIFEST_INVALID') && /not a tar/.test(e.message));
});

test('oci-archive references parse as skopeo cuts them', () => {
  const r = parseOciArchiveReference('/tmp/a.tar:example.com/repo:v1');
  assert.equal(r.file, '/tmp/a.tar');
  assert.equal(r.refName, 'example.com/repo:v1');
  assert.equal(r.toString(), 'oci-archive:/tmp/a.tar:example.com/repo:v1');
  assert.equal(parseOciArchiveReference('a.tar').refName, undefined);
  assert.throws(() => parseOciArchiveReference(':x'), (e) => isImgsealError(e, 'INVALID_REFERENCE'));
  assert.throws(() => parseOciArchiveReference('a.tar:bad ref'), (e) => isImgsealError(e, 'INVALID_REFERENCE'));
});

test('oci-archive destination writes an archive skopeo copies and inspects, replacing an existing file', async (t) => {
  if (!(await needSkopeo(t))) return;
  const dir = await tempDir(t);
  const file = join(dir, 'out.tar');
  await writeFile(file, 'an older file that must be replaced');
  const fixture = await readLayout(PLAIN_TWO_LAYER);
  const dest = await parseOciArchiveReference(`${file}:myref`).newImageDestination(ctx);
  try {
    await feed(dest, fixture);
  } finally {
    await dest.close();
  }
  assert.deepEqual(await listDir(dir), ['out.tar'], 'no staging folder left behind');

  const inspected = JSON.parse(await skopeo(dir, 'inspect', `oci-archive:${file}:myref`)) as { Digest: string; Layers: string[] };
  assert.equal(inspected.Digest, fixture.manifestDigest);
  assert.deepEqual(inspected.Layers, fixture.layers.map((l) => l.digest));

  const out = join(dir, 'back');
  await skopeo(dir, 'copy', '-q', `oci-archive:${file}:myref`, `oci:${out}:x`);
  for (const d of [fixture.config, ...fixture.layers]) {
    assert.deepEqual(await readFile(join(out, 'blobs', 'sha256', d.digest.slice(7))), await fixture.blob(d.digest), `blob ${d.digest}`);
  }
  const index = JSON.parse(await sh('tar', ['-xOf', file, 'index.json'])) as { manifests: { annotations: Record<string, string> }[] };
  assert.deepEqual(index.manifests[0]?.annotations, { 'org.opencontainers.image.ref.name': 'myref' });
  assert.equal(await sh('tar', ['-xOf', file, 'oci-layout']), '{"imageLayoutVersion": "1.0.0"}');
});

test('oci-archive destination: a stream failing mid-blob, a wrong digest, or no commit leave nothing', async (t) => {
  const dir = await tempDir(t);
  const file = join(dir, 'out.tar');
  const fixture = await readLayout(PLAIN_BASE);
  const layer = fixture.layers[0]!;
  const dest = await parseOciArchiveReference(`${file}:r`).newImageDestination(ctx);
  try {
    await assert.rejects(dest.putBlob(failingStream(), { digest: layer.digest, mediaType: layer.mediaType }), /boom/);
    assert.equal(await dest.tryReuseBlob(layer), false);
    await assert.rejects(
      dest.putBlob(Readable.from([Buffer.from('other bytes')]), { digest: layer.digest, mediaType: layer.mediaType }),
      (e) => isImgsealError(e, 'DIGEST_MISMATCH'),
    );
    await dest.putBlob(Readable.from([await fixture.blob(layer.digest)]), { digest: layer.digest, mediaType: layer.mediaType });
    assert.equal(await dest.tryReuseBlob(layer), true);
    // Committing before the config exists must not publish a broken archive.
    await dest.putManifest({ bytes: fixture.manifestBytes, digest: fixture.manifestDigest, mediaType: fixture.manifestMediaType }, { topLevel: true });
    await assert.rejects(dest.commit(), (e) => isImgsealError(e, 'BLOB_NOT_FOUND'));
  } finally {
    await dest.close();
  }
  assert.deepEqual(await listDir(dir), [], 'no FILE and no staging leftovers');
});
