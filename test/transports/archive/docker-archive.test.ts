import { test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdir, readFile, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { gunzipSync } from 'node:zlib';
import { isImgsealError } from '../../../src/errors.js';
import { sha256Digest, type Digest } from '../../../src/model/digest.js';
import { MediaType } from '../../../src/model/media-types.js';
import { parseDockerArchiveReference } from '../../../src/transports/archive/index.js';
import { parseNamedTagged } from '../../../src/transports/archive/docker-name.js';
import type { ImageSource } from '../../../src/transports/types.js';
import { PLAIN_BASE, PLAIN_TWO_LAYER, collect, failingStream, feed, listDir, needSkopeo, readLayout, sh, skopeo, tempDir, type FixtureImage } from './helpers.js';

const ctx = {};

interface Schema2 {
  schemaVersion: number;
  mediaType: string;
  config: { mediaType: string; size: number; digest: Digest };
  layers: { mediaType: string; size: number; digest: Digest }[];
}

/** Reads a source's image back in the FixtureImage shape, verifying every digest. */
async function readSource(src: ImageSource): Promise<FixtureImage> {
  const m = await src.getManifest();
  assert.equal(sha256Digest(m.bytes), m.digest);
  const doc = JSON.parse(m.bytes.toString('utf8')) as Schema2;
  const blobs = new Map<Digest, Buffer>();
  for (const d of [doc.config, ...doc.layers]) {
    const bytes = await collect(await src.getBlob(d));
    assert.equal(sha256Digest(bytes), d.digest, `blob ${d.digest} hashes to its digest`);
    assert.equal(bytes.length, d.size);
    blobs.set(d.digest, bytes);
  }
  return {
    manifestBytes: m.bytes,
    manifestDigest: m.digest,
    manifestMediaType: m.mediaType,
    config: doc.config,
    layers: doc.layers,
    blob: async (d) => blobs.get(d) ?? assert.fail(`no blob ${d}`),
  };
}

test('docker-archive source reads what skopeo writes, by tag, @N or alone', async (t) => {
  if (!(await needSkopeo(t))) return;
  const dir = await tempDir(t);
  const file = join(dir, 'img.tar');
  await skopeo(dir, 'copy', '-q', `oci:${PLAIN_TWO_LAYER}:base`, `docker-archive:${file}:foo/bar:v1`);
  const fixture = await readLayout(PLAIN_TWO_LAYER);
  const fixtureConfig = JSON.parse((await fixture.blob(fixture.config.digest)).toString()) as { rootfs: { diff_ids: Digest[] } };

  for (const name of [file, `${file}:foo/bar:v1`, `${file}:docker.io/foo/bar:v1`, `${file}:@0`]) {
    const src = await parseDockerArchiveReference(name).newImageSource(ctx);
    try {
      const img = await readSource(src);
      assert.equal(img.manifestMediaType, MediaType.dockerManifest);
      const doc = JSON.parse(img.manifestBytes.toString()) as Schema2;
      assert.equal(doc.mediaType, MediaType.dockerManifest);
      assert.equal(doc.config.mediaType, MediaType.dockerConfig);
      assert.equal(img.config.digest, fixture.config.digest);
      // skopeo stores layers uncompressed, so their digests are the diff IDs.
      assert.deepEqual(img.layers.map((l) => l.mediaType), [MediaType.dockerLayerTar, MediaType.dockerLayerTar]);
      assert.deepEqual(img.layers.map((l) => l.digest), fixtureConfig.rootfs.diff_ids);
      for (const [i, l] of fixture.layers.entries()) {
        assert.deepEqual(await img.blob(img.layers[i]!.digest), gunzipSync(await fixture.blob(l.digest)));
      }
      await assert.rejects(src.getManifest(sha256Digest('other')), (e) => isImgsealError(e, 'IMAGE_NOT_FOUND'));
    } finally {
      await src.close();
    }
  }
  await assert.rejects(parseDockerArchiveReference(`${file}:foo/bar:v2`).newImageSource(ctx), (e) => isImgsealError(e, 'IMAGE_NOT_FOUND') && /foo\/bar:v1/.test(e.message));
  await assert.rejects(parseDockerArchiveReference(`${file}:@1`).newImageSource(ctx), (e) => isImgsealError(e, 'IMAGE_NOT_FOUND'));
});

test('docker-archive source: several images need a tag or @N; gzip layers are described as such', async (t) => {
  if (!(await needSkopeo(t))) return;
  const dir = await tempDir(t);
  // A two-image archive, as `docker save a b` writes it: unpack skopeo's output, add an item.
  const tree = join(dir, 'tree');
  await mkdir(tree);
  await skopeo(dir, 'copy', '-q', `oci:${PLAIN_TWO_LAYER}:base`, `docker-archive:${join(dir, 'one.tar')}:foo/one:v1`);
  await sh('tar', ['-C', tree, '-xf', join(dir, 'one.tar')]);
  const items = JSON.parse(await readFile(join(tree, 'manifest.json'), 'utf8')) as { Config: string; RepoTags: string[] | null; Layers: string[] }[];
  const first = items[0]!;
  // The second image: the bottom layer only, reached through a legacy `<id>/layer.tar` symlink, untagged (null).
  const legacyLink = (await sh('tar', ['-tf', join(dir, 'one.tar')])).split('\n').find((n) => n.endsWith('/layer.tar'))!;
  items.push({ Config: first.Config, RepoTags: null, Layers: [legacyLink] });
  await writeFile(join(tree, 'manifest.json'), JSON.stringify(items));
  const file = join(dir, 'two.tar');
  await sh('tar', ['-C', tree, '-cf', file, '.']);

  await assert.rejects(parseDockerArchiveReference(file).newImageSource(ctx), (e) => isImgsealError(e, 'AMBIGUOUS_IMAGE') && /@N/.test(e.message));
  const second = await parseDockerArchiveReference(`${file}:@1`).newImageSource(ctx);
  assert.equal((await readSource(second)).layers.length, 1);
  await second.close();
  const byTag = await parseDockerArchiveReference(`${file}:foo/one:v1`).newImageSource(ctx);
  assert.equal((await readSource(byTag)).layers.length, 2);
  await byTag.close();

  // Layer files that are gzip (as our destination stores gzip blobs) are typed tar.gzip.
  const gz = join(dir, 'gz.tar');
  const dest = await parseDockerArchiveReference(gz).newImageDestination(ctx);
  await feed(dest, await readLayout(PLAIN_BASE)).finally(() => dest.close());
  const src = await parseDockerArchiveReference(gz).newImageSource(ctx);
  const img = await readSource(src);
  assert.deepEqual(img.layers.map((l) => l.mediaType), [MediaType.dockerLayerTarGzip]);
  assert.equal(img.layers[0]!.digest, (await readLayout(PLAIN_BASE)).layers[0]!.digest);
  await src.close();
});

test('docker-archive destination from an OCI image: skopeo inspects and copies it back, layer bytes identical', async (t) => {
  if (!(await needSkopeo(t))) return;
  const dir = await tempDir(t);
  const file = join(dir, 'out.tar');
  const fixture = await readLayout(PLAIN_TWO_LAYER);
  const dest = await parseDockerArchiveReference(`${file}:foo/bar:v1`).newImageDestination(ctx);
  assert.deepEqual(dest.supportedManifestMediaTypes, [MediaType.dockerManifest]);
  await feed(dest, fixture).finally(() => dest.close());
  assert.deepEqual(await listDir(dir), ['out.tar']);

  // The layer files are the blobs as given.
  for (const l of fixture.layers) {
    assert.equal(sha256Digest(Buffer.from(await sh('tar', ['-xOf', file, `${l.digest.slice(7)}.tar`]), 'latin1')), l.digest);
  }
  const mj = JSON.parse(await sh('tar', ['-xOf', file, 'manifest.json'])) as unknown;
  assert.deepEqual(mj, [{ Config: `${fixture.config.digest.slice(7)}.json`, RepoTags: ['docker.io/foo/bar:v1'], Layers: fixture.layers.map((l) => `${l.digest.slice(7)}.tar`) }]);

  const inspected = JSON.parse(await skopeo(dir, 'inspect', `docker-archive:${file}:foo/bar:v1`)) as { Layers: string[] };
  const diffIds = (JSON.parse((await fixture.blob(fixture.config.digest)).toString()) as { rootfs: { diff_ids: string[] } }).rootfs.diff_ids;
  assert.deepEqual(inspected.Layers, diffIds); // skopeo names docker-archive layers by diff ID

  // skopeo re-serialises the config and recompresses layers when it converts to OCI,
  // so what must survive is the uncompressed layer content and the diff IDs.
  const out = join(dir, 'back');
  await skopeo(dir, 'copy', '-q', `docker-archive:${file}`, `oci:${out}:x`);
  const back = await readLayout(out);
  const backConfig = JSON.parse((await back.blob(back.config.digest)).toString()) as { rootfs: { diff_ids: string[] } };
  assert.deepEqual(backConfig.rootfs.diff_ids, diffIds);
  assert.equal(back.layers.length, fixture.layers.length);
  for (const [i, l] of fixture.layers.entries()) {
    assert.deepEqual(gunzipSync(await back.blob(back.layers[i]!.digest)), gunzipSync(await fixture.blob(l.digest)), `layer ${i}`);
  }
});

test('docker-archive destination from a schema2 image matches skopeo’s archive: manifest.json, repositories, legacy ids', async (t) => {
  if (!(await needSkopeo(t))) return;
  const dir = await tempDir(t);
  const theirs = join(dir, 'theirs.tar');
  await skopeo(dir, 'copy', '-q', `oci:${PLAIN_TWO_LAYER}:base`, `docker-archive:${theirs}:foo/bar:v1`);
  const src = await parseDockerArchiveReference(theirs).newImageSource(ctx);
  const img = await readSource(src);
  await src.close();
  const ours = join(dir, 'ours.tar');
  const dest = await parseDockerArchiveReference(`${ours}:foo/bar:v1`).newImageDestination(ctx);
  await feed(dest, img).finally(() => dest.close());

  const list = async (f: string) => (await sh('tar', ['-tf', f])).split('\n').filter(Boolean).sort();
  assert.deepEqual(await list(ours), await list(theirs));
  for (const name of await list(theirs)) {
    if (name.endsWith('/layer.tar')) continue; // symlinks: compared by the listing above
    assert.equal(await sh('tar', ['-xOf', ours, name]), await sh('tar', ['-xOf', theirs, name]), name);
  }
  await skopeo(dir, 'copy', '-q', `docker-archive:${ours}:foo/bar:v1`, `oci:${join(dir, 'back')}:x`);
});

test('docker-archive destination refuses encryption, indexes and @N, and a failed copy leaves nothing', async (t) => {
  const dir = await tempDir(t);
  const file = join(dir, 'out.tar');
  assert.throws(() => parseDockerArchiveReference(`${file}:@0`).newImageDestination(ctx), (e) => isImgsealError(e, 'INVALID_REFERENCE'));
  const fixture = await readLayout(PLAIN_BASE);
  const dest = await parseDockerArchiveReference(`${file}:foo:v1`).newImageDestination(ctx);
  try {
    const layer = fixture.layers[0]!;
    await assert.rejects(dest.putBlob(failingStream(), { digest: layer.digest, mediaType: layer.mediaType }), /boom/);
    await assert.rejects(dest.putBlob(failingStream(), { mediaType: `${MediaType.ociLayerTarGzip}+encrypted` }), (e) => isImgsealError(e, 'DESTINATION_UNSUPPORTED') && /does not support encryption/.test(e.message));
    const m = JSON.parse(fixture.manifestBytes.toString()) as Schema2;
    m.layers[0]!.mediaType = `${MediaType.ociLayerTarGzip}+encrypted`;
    const bytes = Buffer.from(JSON.stringify(m));
    await assert.rejects(dest.putManifest({ bytes, digest: sha256Digest(bytes), mediaType: MediaType.ociManifest }, { topLevel: true }), (e) => isImgsealError(e, 'DESTINATION_UNSUPPORTED') && /encryption/.test(e.message));
    const index = Buffer.from(JSON.stringify({ schemaVersion: 2, mediaType: MediaType.ociIndex, manifests: [] }));
    await assert.rejects(dest.putManifest({ bytes: index, digest: sha256Digest(index), mediaType: MediaType.ociIndex }, { topLevel: true }), (e) => isImgsealError(e, 'DESTINATION_UNSUPPORTED'));
  } finally {
    await dest.close();
  }
  assert.deepEqual(await listDir(dir), [], 'no FILE and no staging leftovers');
});

test('docker reference names are normalised as Docker does', () => {
  assert.deepEqual(parseNamedTagged('busybox'), { name: 'docker.io/library/busybox', tag: 'latest' });
  assert.deepEqual(parseNamedTagged('foo/bar:v1'), { name: 'docker.io/foo/bar', tag: 'v1' });
  assert.deepEqual(parseNamedTagged('Foo/bar'), { name: 'Foo/bar', tag: 'latest' }); // an upper-case first component is a host
  assert.deepEqual(parseNamedTagged('localhost:5000/x'), { name: 'localhost:5000/x', tag: 'latest' });
  assert.deepEqual(parseNamedTagged('index.docker.io/alpine:3'), { name: 'docker.io/library/alpine', tag: '3' });
  assert.throws(() => parseNamedTagged('foo/Bar'), (e) => isImgsealError(e, 'INVALID_REFERENCE'));
  assert.throws(() => parseNamedTagged('foo@sha256:' + 'a'.repeat(64)), (e) => isImgsealError(e, 'INVALID_REFERENCE'));
  const r = parseDockerArchiveReference('/x/a.tar:foo/bar:v1');
  assert.equal(r.file, '/x/a.tar');
  assert.equal(r.toString(), 'docker-archive:/x/a.tar:foo/bar:v1');
  assert.equal(parseDockerArchiveReference('a.tar:@3').sourceIndex, 3);
  assert.throws(() => parseDockerArchiveReference('a.tar:@x'), (e) => isImgsealError(e, 'INVALID_REFERENCE'));
});
