// The core model: digests (sha256 written, sha512 accepted), platforms, manifest kinds,
// media-type mapping, layer selection.
import assert from 'node:assert/strict';
import { createHash } from 'node:crypto';
import { test } from 'node:test';
import { selectLayers } from '../../src/copy/layer-plan.js';
import { isImgsealError } from '../../src/errors.js';
import {
  canonicalDescriptor,
  decryptedMediaType,
  digestOf,
  encryptedMediaType,
  isEncryptableLayerMediaType,
  MediaType,
  parseDigest,
  parseManifest,
  parsePlatform,
  platformMatches,
  verifyDigest,
} from '../../src/model/index.js';

test('digests: sha256 and sha512 parse and verify; malformed ones are refused', () => {
  const data = Buffer.from('hello');
  const s512 = `sha512:${createHash('sha512').update(data).digest('hex')}` as const;
  assert.equal(parseDigest(s512).algorithm, 'sha512');
  assert.equal(digestOf(data, s512), s512);
  verifyDigest(data, s512, 'blob');
  assert.throws(() => verifyDigest(Buffer.from('hellO'), s512, 'blob'), (e: unknown) => isImgsealError(e, 'DIGEST_MISMATCH'));
  for (const bad of ['sha256:abc', 'md5:' + 'a'.repeat(32), 'sha256:' + 'A'.repeat(64), 'nocolon', ':' + 'a'.repeat(64)]) {
    assert.throws(() => parseDigest(bad), (e: unknown) => isImgsealError(e, 'MANIFEST_INVALID'), bad);
  }
});

test('platforms: os/arch[/variant], aliases, and variant-less requests match any variant', () => {
  assert.deepEqual(parsePlatform('linux/arm64/v8'), { os: 'linux', architecture: 'arm64' });
  assert.deepEqual(parsePlatform('linux/x86_64'), { os: 'linux', architecture: 'amd64' });
  assert.deepEqual(parsePlatform('linux/arm/v7'), { os: 'linux', architecture: 'arm', variant: 'v7' });
  for (const bad of ['linux', 'linux/', '/amd64', 'a/b/c/d']) assert.throws(() => parsePlatform(bad), (e: unknown) => isImgsealError(e, 'INVALID_ARGUMENT'), bad);
  assert.ok(platformMatches({ os: 'linux', architecture: 'arm' }, { os: 'linux', architecture: 'arm', variant: 'v7' }));
  assert.ok(!platformMatches({ os: 'linux', architecture: 'arm', variant: 'v6' }, { os: 'linux', architecture: 'arm', variant: 'v7' }));
  assert.ok(platformMatches({ os: 'linux', architecture: 'amd64' }, { os: 'linux', architecture: 'x86_64' }));
  assert.ok(!platformMatches({ os: 'linux', architecture: 'amd64' }, undefined));
});

test('manifests: kind from the mediaType field, the declared type, or the shape; schema1 refused', () => {
  const desc = { mediaType: MediaType.ociConfig, digest: `sha256:${'a'.repeat(64)}`, size: 2 };
  const m = Buffer.from(JSON.stringify({ schemaVersion: 2, config: desc, layers: [] }));
  assert.equal(parseManifest(m).kind, 'manifest');
  assert.equal(parseManifest(m).mediaType, MediaType.ociManifest);
  assert.equal(parseManifest(m, MediaType.dockerManifest).mediaType, MediaType.dockerManifest);
  const i = Buffer.from(JSON.stringify({ schemaVersion: 2, mediaType: MediaType.dockerManifestList, manifests: [] }));
  assert.equal(parseManifest(i).kind, 'index');
  assert.equal(parseManifest(i).mediaType, MediaType.dockerManifestList);
  assert.throws(() => parseManifest(Buffer.from('{"schemaVersion":1,"fsLayers":[]}')), (e: unknown) => isImgsealError(e, 'UNSUPPORTED_MEDIA_TYPE'));
  assert.throws(() => parseManifest(Buffer.from('not json')), (e: unknown) => isImgsealError(e, 'MANIFEST_INVALID'));
  const badLayer = Buffer.from(JSON.stringify({ schemaVersion: 2, config: desc, layers: [{ mediaType: 'x', digest: 'sha256:zz', size: 1 }] }));
  assert.throws(() => parseManifest(badLayer), /layers\[0\]: invalid descriptor/);
});

test('media types: +encrypted added after compression, Docker types mapped to OCI, stripped on decrypt', () => {
  assert.equal(encryptedMediaType(MediaType.ociLayerTarGzip), 'application/vnd.oci.image.layer.v1.tar+gzip+encrypted');
  assert.equal(encryptedMediaType(MediaType.dockerLayerTarGzip), 'application/vnd.oci.image.layer.v1.tar+gzip+encrypted');
  assert.equal(encryptedMediaType(MediaType.ociLayerTarZstd), 'application/vnd.oci.image.layer.v1.tar+zstd+encrypted');
  assert.equal(decryptedMediaType('application/vnd.oci.image.layer.v1.tar+encrypted'), MediaType.ociLayerTar);
  assert.ok(isEncryptableLayerMediaType(MediaType.ociLayerNondistTarGzip));
  assert.ok(!isEncryptableLayerMediaType('application/vnd.oci.image.layer.v1.tar+gzip+encrypted'));
  assert.ok(!isEncryptableLayerMediaType('application/vnd.in-toto+json'));
});

test('descriptors serialise in Go field order with sorted annotations', () => {
  const d = canonicalDescriptor({ size: 3, annotations: { b: '2', a: '1' }, digest: `sha256:${'b'.repeat(64)}`, mediaType: 'm' });
  assert.equal(JSON.stringify(d), `{"mediaType":"m","digest":"sha256:${'b'.repeat(64)}","size":3,"annotations":{"a":"1","b":"2"}}`);
});

test('layer selection: negative indices count from the top; out of range is an error, never a wrap-around', () => {
  assert.deepEqual([...selectLayers([-1], 3)], [2]);
  assert.deepEqual([...selectLayers([0, -3], 3)], [0]);
  assert.deepEqual([...selectLayers(undefined, 2)].sort(), [0, 1]);
  assert.throws(() => selectLayers([5], 2), /layer index 5 out of range \(2 layers exist\)/);
  assert.throws(() => selectLayers([-3], 2), (e: unknown) => isImgsealError(e, 'LAYER_INDEX_OUT_OF_RANGE'));
});
