/**
 * Issue 4 with the seeds' own client: Debian's buildah 1.28 (test/peers/podman, private
 * configuration and vfs storage, no containers run) against the plain registry peer.
 *  - buildah push --encryption-key jwe:… of an image pulled from an OCI layout →
 *    imgseal pulls and decrypts it (files and uncompressed tars restored);
 *  - imgseal pushes an encrypted image → buildah pull without a key fails and stores
 *    nothing; with --decryption-key the files are there (buildah from + buildah mount).
 */
import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import { buildLayout, type LayerSpec } from '../testkit/image-builder.js';
import { readImage } from '../testkit/image-reader.js';
import { useRegistryPeer } from '../testkit/peers.js';
import { buildah, readImageFiles, runPeerTool, usePodmanPeer } from '../testkit/podman.js';
import { builtFiles, ENC_RSA_EC, imgseal, imgsealOk, KEYS, regFlags, workDir } from './helpers.js';

const work = workDir('buildah');

const LAYERS: LayerSpec[] = [
  { files: { 'hello.txt': 'hello from the buildah e2e base layer\n', 'etc/os-release': 'ID=imgseal-e2e\n' }, compression: 'gzip' },
  { files: { 'secret.txt': 'the secret top layer, for buildah\n' }, compression: 'none' },
];

interface LayersData {
  LayersData: { MIMEType: string; Annotations: Record<string, string> | null }[];
}

describe('buildah ↔ imgseal through the plain registry', { timeout: 180_000 }, () => {
  const reg = useRegistryPeer('plain');
  const pm = usePodmanPeer();

  test('buildah push --encryption-key jwe: (RSA + EC) → imgseal pulls and decrypts', async (t) => {
    const peer = reg.get(t);
    const bp = peer && pm.get(t);
    if (!peer || !bp) return;
    // buildah names an image pulled from oci:PATH after PATH: a relative, lowercase one.
    const orig = await buildLayout(`${work.root}/bimg`, LAYERS);
    await buildah(bp, ['pull', '-q', 'oci:bimg:base'], { cwd: work.root });
    const ref = `docker://${peer.host}/e2e/from-buildah:enc`;
    await buildah(bp, ['push', '-q', '--tls-verify=false', ...ENC_RSA_EC, 'localhost/bimg:latest', ref]);

    const info = JSON.parse((await imgsealOk(['inspect', ref, ...regFlags(peer, 'src')])).stdout) as LayersData;
    assert.equal(info.LayersData.length, 2);
    for (const l of info.LayersData) {
      assert.match(l.MIMEType, /\+encrypted$/, 'buildah pushed encrypted layers');
      assert.ok(l.Annotations?.['org.opencontainers.image.enc.keys.jwe'], 'with a JWE key annotation');
    }

    const none = work.dir('nokey');
    const r = await imgseal(['decrypt', '-q', ref, `oci:${none}:x`, ...regFlags(peer, 'src')]);
    assert.equal(r.code, 1, r.stderr);
    assert.match(r.stderr, /^imgseal: .*missing private key needed for decryption/);

    for (const key of ['rsa', 'ec'] as const) {
      const out = work.dir(`dec-${key}`);
      await imgsealOk(['decrypt', '-q', '--decryption-key', KEYS[key].priv, ref, `oci:${out}:x`, ...regFlags(peer, 'src')]);
      const got = await readImage(out, 'x');
      assert.deepEqual(got.files, builtFiles(orig), `files restored with the ${key} key`);
      assert.deepEqual(
        got.layers.map((l) => l.diffId),
        orig.layers.map((l) => l.diffId),
        'the uncompressed tars are the originals',
      );
      assert.ok(got.layers.every((l) => !l.desc.mediaType.endsWith('+encrypted')));
    }
  });

  test('imgseal pushes an encrypted image → buildah pull needs --decryption-key, then the files are there', async (t) => {
    const peer = reg.get(t);
    const bp = peer && pm.get(t);
    if (!peer || !bp) return;
    const src = work.dir('isrc');
    const orig = await buildLayout(src, LAYERS.map((l) => ({ ...l, files: Object.fromEntries(Object.entries(l.files).map(([k, v]) => [k, `${v}(imgseal)\n`])) })));
    const name = `${peer.host}/e2e/from-imgseal`;
    await imgsealOk(['copy', '-q', ...ENC_RSA_EC, `oci:${src}:base`, `docker://${name}:enc`, ...regFlags(peer, 'dest')]);

    const nokey = await runPeerTool(bp, 'buildah', ['pull', '-q', '--tls-verify=false', `docker://${name}:enc`]);
    assert.notEqual(nokey.code, 0, 'buildah pull without a key fails');
    assert.match(nokey.stderr, /missing private key needed for decryption/);
    const listed = await runPeerTool(bp, 'buildah', ['inspect', '--type', 'image', `${name}:enc`]);
    assert.notEqual(listed.code, 0, 'nothing was stored by the failed pull');

    await buildah(bp, ['pull', '-q', '--tls-verify=false', '--decryption-key', KEYS.rsa.priv, `docker://${name}:enc`]);
    assert.deepEqual(await readImageFiles(bp, `${name}:enc`, Object.keys(builtFiles(orig))), builtFiles(orig), 'files restored by buildah (RSA key)');

    // The EC recipient works too (a second tag, so buildah really pulls and decrypts again).
    await imgsealOk(['copy', '-q', ...ENC_RSA_EC, `oci:${src}:base`, `docker://${name}:enc2`, ...regFlags(peer, 'dest')]);
    await buildah(bp, ['rmi', '-f', `${name}:enc`]);
    await buildah(bp, ['pull', '-q', '--tls-verify=false', '--decryption-key', KEYS.ec.priv, `docker://${name}:enc2`]);
    assert.deepEqual(await readImageFiles(bp, `${name}:enc2`, Object.keys(builtFiles(orig))), builtFiles(orig), 'files restored by buildah (EC key)');
  });
});
