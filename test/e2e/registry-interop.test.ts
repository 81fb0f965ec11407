/**
 * Issue 4, end to end through the CLI against the real registry peers (CNCF
 * distribution): imgseal pushes → skopeo 1.9.3 pulls (and decrypts), skopeo pushes →
 * imgseal pulls (and decrypts), and `imgseal inspect` of what was pushed. The full
 * matrix runs on the plain registry; tls-basic (CA via --*-cert-dir, htpasswd creds)
 * and token (token issuer + TLS, creds) run a representative subset.
 */
import assert from 'node:assert/strict';
import { randomBytes } from 'node:crypto';
import { before, describe, test } from 'node:test';
import { buildLayout, buildMultiArchLayout, type BuiltImage, type LayerSpec, type MultiArch } from '../testkit/image-builder.js';
import { readImage, readIndexImages } from '../testkit/image-reader.js';
import { useRegistryPeer, type RegistryMode, type RegistryPeer } from '../testkit/peers.js';
import { requireTool } from '../testkit/tools.js';
import { assertEncrypted, assertSameImage, assertSameIndex, ENC_RSA_EC, imgseal, imgsealOk, KEYS, regFlags, skopeo, workDir } from './helpers.js';

const work = workDir('interop');

// A big gzip layer (> 1 MiB: the chunked PATCH upload path), a small gzip layer and an uncompressed one.
const big = randomBytes(1_200_000).toString('hex');
const LAYERS: LayerSpec[] = [
  { files: { 'usr/share/big.txt': big }, compression: 'gzip' },
  { files: { 'hello.txt': 'hello from the imgseal e2e base layer\n', 'etc/app.conf': 'mode=e2e\n' }, compression: 'gzip' },
  { files: { 'secret.txt': 'the secret, uncompressed top layer of the e2e image\n' }, compression: 'none' },
];

let single: BuiltImage;
let singleDir: string;
let multi: MultiArch;
let multiDir: string;

before(async () => {
  singleDir = work.dir('single');
  single = await buildLayout(singleDir, LAYERS);
  multiDir = work.dir('multi');
  multi = await buildMultiArchLayout(multiDir);
});

interface Plan {
  mode: RegistryMode;
  env?: Record<string, string>;
  imgsealPushes: ('plain' | 'encrypted' | 'multi' | 'multi-encrypted')[];
  skopeoPushes: ('plain' | 'encrypted' | 'multi-encrypted')[];
  inspect: boolean;
}

const PLANS: Plan[] = [
  { mode: 'plain', imgsealPushes: ['plain', 'encrypted', 'multi', 'multi-encrypted'], skopeoPushes: ['plain', 'encrypted', 'multi-encrypted'], inspect: true },
  { mode: 'tls-basic', imgsealPushes: ['encrypted', 'multi-encrypted'], skopeoPushes: ['encrypted'], inspect: true },
  // token mode with TLS=1: token issuer + HTTPS, so cert dir and creds both matter.
  { mode: 'token', env: { TLS: '1' }, imgsealPushes: ['plain', 'multi-encrypted'], skopeoPushes: ['encrypted'], inspect: false },
];

for (const plan of PLANS) {
  describe(`registry interop: ${plan.mode}`, { timeout: 180_000 }, () => {
    const reg = useRegistryPeer(plan.mode, plan.env ?? {});
    const get = (t: Parameters<typeof reg.get>[0]): RegistryPeer | undefined => (requireTool('skopeo', t) ? reg.get(t) : undefined);

    if (plan.imgsealPushes.includes('plain')) {
      test('imgseal pushes a plain image → skopeo pulls the same bytes', async (t) => {
        const peer = get(t);
        if (!peer) return;
        const ref = `docker://${peer.host}/e2e/plain:v1`;
        await imgsealOk(['copy', '-q', `oci:${singleDir}:base`, ref, ...regFlags(peer, 'dest')]);
        const stored = await skopeo(['inspect', '--raw', ...regFlags(peer, 'src').map((f) => f.replace('--src-', '--')), ref]);
        assert.equal(stored, single.manifestBytes.toString('utf8'), 'the manifest is pushed unchanged');
        const out = work.dir('sk-plain');
        await skopeo(['copy', '-q', ...regFlags(peer, 'src'), ref, `oci:${out}:x`]);
        // skopeo gzips the uncompressed layer when it writes oci:, so only gzip blobs are compared byte for byte.
        assertSameImage(await readImage(out, 'x'), single, 'skopeo pull', { sameBlobs: 'gzip' });
        if (plan.inspect) {
          const r = await imgsealOk(['inspect', ref, ...regFlags(peer, 'src')]);
          const j = JSON.parse(r.stdout) as { Digest: string; MediaType: string; Layers: string[]; Architecture: string; Os: string };
          assert.equal(j.Digest, single.manifest.digest);
          assert.equal(j.MediaType, 'application/vnd.oci.image.manifest.v1+json');
          assert.deepEqual(j.Layers, single.layers.map((l) => l.desc.digest));
          assert.equal(j.Architecture, 'amd64');
          assert.equal(j.Os, 'linux');
          const raw = await imgsealOk(['inspect', '--raw', ref, ...regFlags(peer, 'src')]);
          assert.equal(raw.stdout, single.manifestBytes.toString('utf8'), '--raw is the pushed manifest, byte for byte');
        }
      });
    }

    if (plan.imgsealPushes.includes('encrypted')) {
      test('imgseal pushes an encrypted image (RSA + EC) → skopeo decrypts with either key', async (t) => {
        const peer = get(t);
        if (!peer) return;
        const ref = `docker://${peer.host}/e2e/enc:v1`;
        await imgsealOk(['copy', '-q', ...ENC_RSA_EC, `oci:${singleDir}:base`, ref, ...regFlags(peer, 'dest')]);
        const cipher = work.dir('sk-cipher');
        await skopeo(['copy', '-q', ...regFlags(peer, 'src'), ref, `oci:${cipher}:x`]);
        const enc = await readImage(cipher, 'x');
        assertEncrypted(enc, single, 'as stored in the registry');
        for (const key of ['rsa', 'ec'] as const) {
          const out = work.dir(`sk-dec-${key}`);
          await skopeo(['copy', '-q', '--decryption-key', KEYS[key].priv, ...regFlags(peer, 'src'), ref, `oci:${out}:x`]);
          assertSameImage(await readImage(out, 'x'), single, `skopeo decryption with the ${key} key`);
        }
        if (plan.inspect) {
          const r = await imgsealOk(['inspect', ref, ...regFlags(peer, 'src')]);
          const j = JSON.parse(r.stdout) as { Digest: string; LayersData: { MIMEType: string; Digest: string; Size: number; Annotations: Record<string, string> | null }[] };
          assert.equal(j.Digest, enc.desc.digest);
          assert.deepEqual(
            j.LayersData.map((l) => [l.MIMEType, l.Digest, l.Size, l.Annotations]),
            enc.manifest.layers.map((l) => [l.mediaType, l.digest, l.size, l.annotations]),
          );
          const raw = await imgsealOk(['inspect', '--raw', ref, ...regFlags(peer, 'src')]);
          assert.equal(raw.stdout, enc.manifestBytes.toString('utf8'), '--raw equals the bytes skopeo pulled');
        }
      });
    }

    if (plan.imgsealPushes.includes('multi')) {
      test('imgseal pushes a multi-arch index (--all) → skopeo --all pulls the same index', async (t) => {
        const peer = get(t);
        if (!peer) return;
        const ref = `docker://${peer.host}/e2e/multi:v1`;
        await imgsealOk(['copy', '-q', '--all', `oci:${multiDir}:base`, ref, ...regFlags(peer, 'dest')]);
        if (plan.inspect) {
          const raw = await imgsealOk(['inspect', '--raw', ref, ...regFlags(peer, 'src')]);
          assert.equal(raw.stdout, multi.indexBytes.toString('utf8'), '--raw is the pushed index, byte for byte');
          const r = await imgsealOk(['inspect', '--platform', 'linux/arm64', ref, ...regFlags(peer, 'src')]);
          const j = JSON.parse(r.stdout) as { Digest: string; Architecture: string; Platforms?: { Platform: string; Digest: string }[] };
          assert.equal(j.Digest, multi.index.digest);
          assert.equal(j.Architecture, 'arm64');
          assert.deepEqual(j.Platforms, multi.images.map((i) => ({ Platform: `linux/${i.platform.architecture}`, Digest: i.manifest.digest })));
        }
        const out = work.dir('sk-multi');
        await skopeo(['copy', '-q', '--all', ...regFlags(peer, 'src'), ref, `oci:${out}:x`]);
        assertSameIndex(await readIndexImages(out, 'x'), multi, 'skopeo --all pull', { sameIndex: true });
      });
    }

    if (plan.imgsealPushes.includes('multi-encrypted')) {
      test('imgseal pushes an encrypted multi-arch index (--all) → skopeo --all decrypts it', async (t) => {
        const peer = get(t);
        if (!peer) return;
        const ref = `docker://${peer.host}/e2e/multi-enc:v1`;
        await imgsealOk(['copy', '-q', '--all', ...ENC_RSA_EC, `oci:${multiDir}:base`, ref, ...regFlags(peer, 'dest')]);
        const cipher = work.dir('sk-multi-cipher');
        await skopeo(['copy', '-q', '--all', ...regFlags(peer, 'src'), ref, `oci:${cipher}:x`]);
        const enc = await readIndexImages(cipher, 'x');
        assert.equal(enc.images.size, 2, 'both platforms pushed');
        for (const o of multi.images) assertEncrypted(enc.images.get(`linux/${o.platform.architecture}`)!, o, `${o.platform.architecture} as stored`);
        const key = plan.mode === 'plain' ? KEYS.rsa : KEYS.ec;
        const out = work.dir('sk-multi-dec');
        await skopeo(['copy', '-q', '--all', '--decryption-key', key.priv, ...regFlags(peer, 'src'), ref, `oci:${out}:x`]);
        assertSameIndex(await readIndexImages(out, 'x'), multi, 'skopeo --all decryption');
      });
    }

    if (plan.skopeoPushes.includes('plain')) {
      test('skopeo pushes a plain image → imgseal pulls the same bytes', async (t) => {
        const peer = get(t);
        if (!peer) return;
        const ref = `docker://${peer.host}/e2e/from-skopeo:plain`;
        await skopeo(['copy', '-q', ...regFlags(peer, 'dest'), `oci:${singleDir}:base`, ref]);
        const out = work.dir('is-plain');
        await imgsealOk(['copy', '-q', ref, `oci:${out}:x`, ...regFlags(peer, 'src')]);
        const got = await readImage(out, 'x');
        const stored = await skopeo(['inspect', '--raw', ...regFlags(peer, 'src').map((f) => f.replace('--src-', '--')), ref]);
        assert.equal(got.manifestBytes.toString('utf8'), stored, 'imgseal keeps the manifest skopeo pushed, byte for byte');
        // skopeo gzips the uncompressed layer when it pushes.
        assertSameImage(got, single, 'imgseal pull', { sameBlobs: 'gzip' });
      });
    }

    if (plan.skopeoPushes.includes('encrypted')) {
      test('skopeo pushes an encrypted image (--encryption-key jwe: RSA + EC) → imgseal pulls and decrypts', async (t) => {
        const peer = get(t);
        if (!peer) return;
        const ref = `docker://${peer.host}/e2e/from-skopeo:enc`;
        await skopeo(['copy', '-q', ...ENC_RSA_EC, ...regFlags(peer, 'dest'), `oci:${singleDir}:base`, ref]);
        // Without a key, copy passes the ciphertext through (as skopeo does).
        const cipher = work.dir('is-cipher');
        await imgsealOk(['copy', '-q', ref, `oci:${cipher}:x`, ...regFlags(peer, 'src')]);
        assertEncrypted(await readImage(cipher, 'x'), single, 'pulled without a key');
        for (const key of plan.mode === 'plain' ? (['rsa', 'ec'] as const) : (['ec'] as const)) {
          const out = work.dir(`is-dec-${key}`);
          await imgsealOk(['decrypt', '-q', '--decryption-key', KEYS[key].priv, ref, `oci:${out}:x`, ...regFlags(peer, 'src')]);
          // skopeo gzips the uncompressed layer before encrypting it: compare tars and files, not blobs.
          assertSameImage(await readImage(out, 'x'), single, `imgseal decryption with the ${key} key`, { sameBlobs: 'gzip' });
        }
      });
    }

    if (plan.skopeoPushes.includes('multi-encrypted')) {
      test('skopeo pushes an encrypted multi-arch index (--all) → imgseal decrypt --all', async (t) => {
        const peer = get(t);
        if (!peer) return;
        const ref = `docker://${peer.host}/e2e/from-skopeo:multi-enc`;
        await skopeo(['copy', '-q', '--all', ...ENC_RSA_EC, ...regFlags(peer, 'dest'), `oci:${multiDir}:base`, ref]);
        const out = work.dir('is-multi-dec');
        await imgsealOk(['decrypt', '-q', '--all', '--decryption-key', KEYS.ec.priv, ref, `oci:${out}:x`, ...regFlags(peer, 'src')]);
        assertSameIndex(await readIndexImages(out, 'x'), multi, 'imgseal --all decryption');
      });
    }

    if (plan.mode !== 'plain') {
      test('without credentials the same pull is refused with one line', async (t) => {
        const peer = get(t);
        if (!peer) return;
        const r = await imgseal(['copy', '-q', `docker://${peer.host}/e2e/from-skopeo:enc`, `oci:${work.dir('nocreds')}:x`, ...regFlags(peer, 'src', { creds: false })]);
        assert.equal(r.code, 1, r.stderr);
        assert.match(r.stderr, /^imgseal: .*(unauthorized|authentication required)/);
        assert.equal(r.stderr.trim().split('\n').length, 1, r.stderr);
      });
    }
  });
}
