/**
 * `imgseal recipients` in place on a registry image (docker://, no DEST): add → skopeo
 * pulls and decrypts with the new key, the layer digests are those before; remove →
 * skopeo refuses the removed key; rotate into another tag → only the new key opens it.
 */
import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import { buildLayout, type LayerSpec } from '../testkit/image-builder.js';
import { readImage } from '../testkit/image-reader.js';
import { useRegistryPeer } from '../testkit/peers.js';
import { requireTool } from '../testkit/tools.js';
import { assertSameImage, imgsealOk, KEYS, regFlags, skopeo, workDir } from './helpers.js';

const work = workDir('recipients-registry');
const LAYERS: LayerSpec[] = [
  { files: { 'base.txt': 'registry base\n' }, compression: 'gzip' },
  { files: { 'secret.txt': 'registry secret\n' }, compression: 'gzip' },
];

describe('recipients on a registry image, in place', { timeout: 180_000 }, () => {
  const reg = useRegistryPeer('plain');

  test('add, remove, rotate; skopeo is the judge', async (t) => {
    if (!requireTool('skopeo', t)) return;
    const peer = reg.get(t);
    if (!peer) return;
    const src = work.dir('src');
    const orig = await buildLayout(src, LAYERS);
    const ref = `docker://${peer.host}/e2e/recipients:v1`;
    const both = [...regFlags(peer, 'src'), ...regFlags(peer, 'dest')];
    await imgsealOk(['encrypt', '-q', '--encryption-key', `jwe:${KEYS.rsa.pub}`, `oci:${src}:base`, ref, ...regFlags(peer, 'dest')]);
    const pull = async (key: string): Promise<void> => {
      const out = work.dir('pull');
      await skopeo(['copy', '-q', '--decryption-key', key, ...regFlags(peer, 'src'), ref, `oci:${out}:x`]);
      assertSameImage(await readImage(out, 'x'), orig, `skopeo with ${key}`);
    };
    const refuses = (key: string, image = ref): Promise<void> =>
      assert.rejects(skopeo(['copy', '-q', '--decryption-key', key, ...regFlags(peer, 'src'), image, `oci:${work.dir('no')}:x`]), /missing private key|decrypt/i);
    const layerDigests = async (image = ref): Promise<string[]> => {
      const raw = JSON.parse(await skopeo(['inspect', '--raw', ...regFlags(peer, 'src').map((f) => f.replace('--src-', '--')), image])) as { layers: { digest: string }[] };
      return raw.layers.map((l) => l.digest);
    };
    const before = await layerDigests();
    await refuses(KEYS.ec.priv);

    await imgsealOk(['recipients', 'add', '-q', '--recipient', `jwe:${KEYS.ec.pub}`, '--decryption-key', KEYS.rsa.priv, ref, ...both]);
    assert.deepEqual(await layerDigests(), before, 'add: same layer blobs');
    await pull(KEYS.ec.priv);
    await pull(KEYS.rsa.priv);

    await imgsealOk(['recipients', 'remove', '-q', '--recipient', `jwe:${KEYS.ec.pub}`, ref, ...both]);
    assert.deepEqual(await layerDigests(), before, 'remove: same layer blobs');
    await refuses(KEYS.ec.priv);
    await pull(KEYS.rsa.priv);

    const rotated = `docker://${peer.host}/e2e/recipients:rotated`;
    await imgsealOk(['recipients', 'rotate', '-q', '--recipient', `jwe:${KEYS.other.pub}`, '--decryption-key', KEYS.rsa.priv, ref, rotated, ...both]);
    const after = await layerDigests(rotated);
    after.forEach((d, i) => assert.notEqual(d, before[i], `rotate: layer ${i} is a new blob`));
    await refuses(KEYS.rsa.priv, rotated);
    const out = work.dir('rot');
    await skopeo(['copy', '-q', '--decryption-key', KEYS.other.priv, ...regFlags(peer, 'src'), rotated, `oci:${out}:x`]);
    assertSameImage(await readImage(out, 'x'), orig, 'skopeo with the rotated key');
  });
});
