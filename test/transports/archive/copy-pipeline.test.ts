/**
 * The archive transports behind the real copy pipeline (copyImage), checked with skopeo:
 * oci layout → oci-archive → docker-archive → oci layout keeps every layer's content,
 * and encryption into a docker-archive is refused before anything is written.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { join } from 'node:path';
import { gunzipSync } from 'node:zlib';
import { copyImage } from '../../../src/copy/index.js';
import { parseRecipient } from '../../../src/crypto/wrap/index.js';
import { isImgsealError } from '../../../src/errors.js';
import { parseImageName } from '../../../src/transports/transports.js';
import { FIXTURES, PLAIN_TWO_LAYER, listDir, needSkopeo, readLayout, skopeo, tempDir } from './helpers.js';

test('copyImage through oci-archive and docker-archive, read back by skopeo', async (t) => {
  if (!(await needSkopeo(t))) return;
  const dir = await tempDir(t);
  const fixture = await readLayout(PLAIN_TWO_LAYER);
  const ociTar = join(dir, 'img.oci.tar');
  const dockerTar = join(dir, 'img.docker.tar');

  const r1 = await copyImage(parseImageName(`oci:${PLAIN_TWO_LAYER}:base`), parseImageName(`oci-archive:${ociTar}:r1`));
  assert.equal(r1.digest, fixture.manifestDigest, 'a plain copy keeps the manifest');
  const inspected = JSON.parse(await skopeo(dir, 'inspect', `oci-archive:${ociTar}:r1`)) as { Digest: string };
  assert.equal(inspected.Digest, fixture.manifestDigest);

  await copyImage(parseImageName(`oci-archive:${ociTar}`), parseImageName(`docker-archive:${dockerTar}:foo/bar:v1`));
  const out = join(dir, 'back');
  await skopeo(dir, 'copy', '-q', `docker-archive:${dockerTar}:foo/bar:v1`, `oci:${out}:x`);
  const back = await readLayout(out);
  for (const [i, l] of fixture.layers.entries()) {
    assert.deepEqual(gunzipSync(await back.blob(back.layers[i]!.digest)), gunzipSync(await fixture.blob(l.digest)), `layer ${i}`);
  }

  // And our docker-archive source back into an oci-archive, read by skopeo.
  const again = join(dir, 'again.tar');
  await copyImage(parseImageName(`docker-archive:${dockerTar}`), parseImageName(`oci-archive:${again}`));
  const inspectedAgain = JSON.parse(await skopeo(dir, 'inspect', `oci-archive:${again}`)) as { Layers: string[] };
  assert.deepEqual(inspectedAgain.Layers, fixture.layers.map((l) => l.digest));
  assert.deepEqual(await listDir(dir), ['again.tar', 'back', 'img.docker.tar', 'img.oci.tar']);
});

test('copyImage refuses to encrypt into a docker-archive and leaves no file', async (t) => {
  const dir = await tempDir(t);
  const recipient = await parseRecipient(`jwe:${join(FIXTURES, 'jwe-rsa2048', 'keys', 'rsa1_pub.pem')}`);
  const file = join(dir, 'enc.tar');
  await assert.rejects(
    copyImage(parseImageName(`oci:${PLAIN_TWO_LAYER}:base`), parseImageName(`docker-archive:${file}:foo/bar:v1`), { encrypt: { recipients: [recipient] } }),
    (e) => isImgsealError(e, 'DESTINATION_UNSUPPORTED') && /does not support encryption/.test(e.message),
  );
  assert.deepEqual(await listDir(dir), []);
});

test('copyImage encrypts into an oci-archive that skopeo decrypts', async (t) => {
  if (!(await needSkopeo(t))) return;
  const dir = await tempDir(t);
  const keys = join(FIXTURES, 'jwe-rsa2048', 'keys');
  const fixture = await readLayout(PLAIN_TWO_LAYER);
  const file = join(dir, 'enc.tar');
  const recipient = await parseRecipient(`jwe:${join(keys, 'rsa1_pub.pem')}`);
  await copyImage(parseImageName(`oci:${PLAIN_TWO_LAYER}:base`), parseImageName(`oci-archive:${file}:enc`), { encrypt: { recipients: [recipient] } });
  const out = join(dir, 'plain');
  await skopeo(dir, 'copy', '-q', '--decryption-key', join(keys, 'rsa1_priv.pem'), `oci-archive:${file}:enc`, `oci:${out}:x`);
  const back = await readLayout(out);
  for (const [i, l] of fixture.layers.entries()) {
    assert.deepEqual(gunzipSync(await back.blob(back.layers[i]!.digest)), gunzipSync(await fixture.blob(l.digest)), `layer ${i}`);
  }
});

test('copyImage carries a multi-arch index through an oci-archive; skopeo copies all of it back', async (t) => {
  if (!(await needSkopeo(t))) return;
  const dir = await tempDir(t);
  const { buildMultiArchLayout } = await import('../../testkit/image-builder.js');
  const layout = join(dir, 'multi');
  const built = await buildMultiArchLayout(layout, { ref: 'multi' });
  const file = join(dir, 'multi.tar');
  await copyImage(parseImageName(`oci:${layout}:multi`), parseImageName(`oci-archive:${file}:m`), { allPlatforms: true });

  // Our source: the index at the top, each child by digest.
  const src = await parseImageName(`oci-archive:${file}:m`).newImageSource({});
  try {
    const top = await src.getManifest();
    assert.equal(top.digest, built.index.digest);
    assert.equal(top.mediaType, 'application/vnd.oci.image.index.v1+json');
    for (const img of built.images) {
      const child = await src.getManifest(img.manifest.digest as `sha256:${string}`);
      assert.deepEqual(child.bytes, img.manifestBytes);
      assert.equal(child.mediaType, 'application/vnd.oci.image.manifest.v1+json');
    }
  } finally {
    await src.close();
  }
  const out = join(dir, 'back');
  await skopeo(dir, 'copy', '-q', '--all', `oci-archive:${file}:m`, `oci:${out}:x`);
  const raw = JSON.parse(await skopeo(dir, 'inspect', '--raw', `oci:${out}:x`)) as { manifests: { digest: string }[] };
  assert.deepEqual(raw.manifests.map((m) => m.digest), built.images.map((i) => i.manifest.digest));
});
