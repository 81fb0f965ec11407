/**
 * docker:// against the real CNCF distribution registry, plain-HTTP variant:
 * push with our destination, read back with our source and with skopeo; read what
 * skopeo pushed; blobs that must not be committed are not.
 */
import assert from 'node:assert/strict';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, test } from 'node:test';
import { isImgsealError } from '../../../src/errors.js';
import { MediaType } from '../../../src/model/media-types.js';
import { repoRoot, useRegistryPeer } from '../../testkit/peers.js';
import { requireTool } from '../../testkit/tools.js';
import { chunked, ctxFor, pushImage, readAll, ref, sha256, skopeo, skopeoFlags, tinyImage } from './helpers.js';

describe('docker:// with the plain-HTTP registry peer', { timeout: 300_000 }, () => {
  const reg = useRegistryPeer('plain');

  test('push (monolithic and streamed blobs), read back with our source', async (t) => {
    const peer = reg.get(t);
    if (!peer) return;
    const ctx = ctxFor(peer);
    const img = tinyImage([1000, 3 * 1024 * 1024 + 17]);
    await pushImage(`//${peer.host}/round/trip:v1`, ctx, img);
    const src = await ref(`//${peer.host}/round/trip:v1`).newImageSource(ctx);
    try {
      const m = await src.getManifest();
      assert.equal(m.digest, img.manifest.digest);
      assert.equal(m.mediaType, MediaType.ociManifest);
      assert.deepEqual(m.bytes, img.manifest.bytes);
      for (const l of img.layers) assert.deepEqual(await readAll(await src.getBlob(l.desc)), l.bytes);
      const byDigest = await src.getManifest(img.manifest.digest);
      assert.equal(byDigest.digest, img.manifest.digest);
    } finally {
      await src.close();
    }
    // by digest reference too
    const src2 = await ref(`//${peer.host}/round/trip@${img.manifest.digest}`).newImageSource(ctx);
    try {
      assert.equal((await src2.getManifest()).digest, img.manifest.digest);
    } finally {
      await src2.close();
    }
  });

  test('unknown digest/size: streamed upload computes the digest', async (t) => {
    const peer = reg.get(t);
    if (!peer) return;
    const img = tinyImage([10, 200_000]);
    await pushImage(`//${peer.host}/unknown/size:v1`, ctxFor(peer), img, false);
    const src = await ref(`//${peer.host}/unknown/size:v1`).newImageSource(ctxFor(peer));
    try {
      assert.equal((await src.getManifest()).digest, img.manifest.digest);
    } finally {
      await src.close();
    }
  });

  test('skopeo reads what we pushed (inspect, copy to oci:)', async (t) => {
    const peer = reg.get(t);
    if (!peer || !requireTool('skopeo', t)) return;
    const img = tinyImage([5000, 70_000]);
    await pushImage(`//${peer.host}/for/skopeo:v2`, ctxFor(peer), img);
    const raw = await skopeo(['inspect', '--raw', ...skopeoFlags(peer, ''), `docker://${peer.host}/for/skopeo:v2`]);
    assert.equal(sha256(Buffer.from(raw)), img.manifest.digest);
    const out = mkdtempSync(join(tmpdir(), 'imgseal-oci-'));
    try {
      await skopeo(['copy', ...skopeoFlags(peer, 'src'), `docker://${peer.host}/for/skopeo:v2`, `oci:${out}:x`]);
      for (const l of img.layers) {
        assert.deepEqual(readFileSync(join(out, 'blobs', 'sha256', l.desc.digest.slice(7))), l.bytes);
      }
    } finally {
      rmSync(out, { recursive: true, force: true });
    }
  });

  test('we read what skopeo pushed (the plain-base fixture)', async (t) => {
    const peer = reg.get(t);
    if (!peer || !requireTool('skopeo', t)) return;
    const layout = join(repoRoot(), 'test', 'fixtures', 'ocicrypt', 'plain-base', 'image');
    await skopeo(['copy', ...skopeoFlags(peer, 'dest'), `oci:${layout}:base`, `docker://${peer.host}/from/skopeo:base`]);
    const src = await ref(`//${peer.host}/from/skopeo:base`).newImageSource(ctxFor(peer));
    try {
      const m = await src.getManifest();
      const manifest = JSON.parse(m.bytes.toString()) as { config: { digest: string; size: number }; layers: { digest: `sha256:${string}`; size: number; mediaType: string }[] };
      for (const l of manifest.layers) {
        const got = await readAll(await src.getBlob(l));
        assert.equal(sha256(got), l.digest);
        assert.equal(got.length, l.size);
      }
    } finally {
      await src.close();
    }
  });

  test('a blob whose stream fails at the end is not committed; the upload session is gone', async (t) => {
    const peer = reg.get(t);
    if (!peer) return;
    const ctx = ctxFor(peer);
    const dest = await ref(`//${peer.host}/broken/stream:v1`).newImageDestination(ctx);
    try {
      const big = tinyImage([2 * 1024 * 1024]).layers[0]!;
      await assert.rejects(dest.putBlob(chunked(big.bytes, big.bytes.length), { mediaType: big.desc.mediaType }), /HMAC mismatch/);
      assert.equal(await dest.tryReuseBlob(big.desc), false);
      const small = tinyImage([4096]).layers[0]!;
      await assert.rejects(dest.putBlob(chunked(small.bytes, small.bytes.length), { ...small.desc }), /HMAC mismatch/);
      assert.equal(await dest.tryReuseBlob(small.desc), false);
    } finally {
      await dest.close();
    }
  });

  test('a wrong digest is DIGEST_MISMATCH and nothing is committed', async (t) => {
    const peer = reg.get(t);
    if (!peer) return;
    const dest = await ref(`//${peer.host}/wrong/digest:v1`).newImageDestination(ctxFor(peer));
    try {
      for (const n of [3000, 2 * 1024 * 1024]) {
        const a = tinyImage([n]).layers[0]!;
        const b = tinyImage([n]).layers[0]!;
        await assert.rejects(
          dest.putBlob(chunked(a.bytes), { digest: b.desc.digest, size: a.desc.size, mediaType: a.desc.mediaType }),
          (err: unknown) => isImgsealError(err, 'DIGEST_MISMATCH') && /not committed/.test(err.message),
        );
        assert.equal(await dest.tryReuseBlob(a.desc), false);
        assert.equal(await dest.tryReuseBlob(b.desc), false);
      }
    } finally {
      await dest.close();
    }
  });

  test('an index: children by digest, then the index by tag', async (t) => {
    const peer = reg.get(t);
    if (!peer) return;
    const ctx = ctxFor(peer);
    const a = tinyImage([100]);
    const b = tinyImage([200]);
    await pushImage(`//${peer.host}/multi/arch:child-a`, ctx, a);
    await pushImage(`//${peer.host}/multi/arch:child-b`, ctx, b);
    const idx = Buffer.from(
      JSON.stringify({
        schemaVersion: 2,
        mediaType: MediaType.ociIndex,
        manifests: [
          { mediaType: MediaType.ociManifest, digest: a.manifest.digest, size: a.manifest.bytes.length, platform: { architecture: 'amd64', os: 'linux' } },
          { mediaType: MediaType.ociManifest, digest: b.manifest.digest, size: b.manifest.bytes.length, platform: { architecture: 'arm64', os: 'linux' } },
        ],
      }),
    );
    const dest = await ref(`//${peer.host}/multi/arch:all`).newImageDestination(ctx);
    try {
      await dest.putManifest(a.manifest, { topLevel: false });
      await dest.putManifest({ bytes: idx, digest: sha256(idx), mediaType: MediaType.ociIndex }, { topLevel: true });
      await dest.commit();
    } finally {
      await dest.close();
    }
    const src = await ref(`//${peer.host}/multi/arch:all`).newImageSource(ctx);
    try {
      const top = await src.getManifest();
      assert.equal(top.mediaType, MediaType.ociIndex);
      assert.equal(top.digest, sha256(idx));
      assert.equal((await src.getManifest(b.manifest.digest)).digest, b.manifest.digest);
    } finally {
      await src.close();
    }
  });

  test('the tag appears only at commit: manifests are pushed by digest first', async (t) => {
    const peer = reg.get(t);
    if (!peer) return;
    const ctx = ctxFor(peer);
    const img = tinyImage([321]);
    const dest = await ref(`//${peer.host}/late/tag:v1`).newImageDestination(ctx);
    const tagged = async (): Promise<boolean> => {
      const src = await ref(`//${peer.host}/late/tag:v1`).newImageSource(ctx);
      try {
        await src.getManifest();
        return true;
      } catch (err) {
        if (isImgsealError(err, 'IMAGE_NOT_FOUND')) return false;
        throw err;
      } finally {
        await src.close();
      }
    };
    try {
      for (const b of [...img.layers, img.config]) await dest.putBlobBytes!(b.bytes, { digest: b.desc.digest, size: b.desc.size, mediaType: b.desc.mediaType });
      await dest.putManifest(img.manifest, { topLevel: true });
      assert.equal(await tagged(), false, 'the tag exists before commit');
      const byDigest = await ref(`//${peer.host}/late/tag@${img.manifest.digest}`).newImageSource(ctx);
      try {
        assert.equal((await byDigest.getManifest()).digest, img.manifest.digest);
      } finally {
        await byDigest.close();
      }
      await dest.commit();
    } finally {
      await dest.close();
    }
    assert.equal(await tagged(), true);
  });

  test('a manifest whose blobs are missing is refused by the registry', async (t) => {
    const peer = reg.get(t);
    if (!peer) return;
    const img = tinyImage([123]);
    const dest = await ref(`//${peer.host}/missing/blobs:v1`).newImageDestination(ctxFor(peer));
    try {
      await assert.rejects(dest.putManifest(img.manifest, { topLevel: true }), (err: unknown) => isImgsealError(err) && /blob unknown/.test(err.message));
    } finally {
      await dest.close();
    }
  });

  test('missing tag → IMAGE_NOT_FOUND, missing blob → BLOB_NOT_FOUND, one line each', async (t) => {
    const peer = reg.get(t);
    if (!peer) return;
    const src = await ref(`//${peer.host}/round/trip:nope`).newImageSource(ctxFor(peer));
    try {
      await assert.rejects(src.getManifest(), (err: unknown) => {
        assert.ok(isImgsealError(err, 'IMAGE_NOT_FOUND'), String(err));
        assert.equal(err.message, `reading manifest nope in ${peer.host}/round/trip: manifest unknown`);
        return true;
      });
      const d = tinyImage([1]).layers[0]!.desc;
      await assert.rejects(src.getBlob(d), (err: unknown) => isImgsealError(err, 'BLOB_NOT_FOUND') && !err.message.includes('\n'));
    } finally {
      await src.close();
    }
  });

  test('HTTPS to a plain-HTTP registry (tls-verify on) → TLS_ERROR with a hint', async (t) => {
    const peer = reg.get(t);
    if (!peer) return;
    const src = await ref(`//${peer.host}/round/trip:v1`).newImageSource({ ...ctxFor(peer), tlsVerify: true });
    try {
      await assert.rejects(src.getManifest(), (err: unknown) => {
        assert.ok(isImgsealError(err, 'TLS_ERROR'), String(err));
        assert.match(err.message, /server gave HTTP response to HTTPS client/);
        return true;
      });
    } finally {
      await src.close();
    }
  });
});
