/** Image metadata from anyone: manifests and indexes, configs, descriptors, digests. */
import fc from 'fast-check';
import { parseImageConfig } from '../../../src/model/config.js';
import { canonicalDescriptor, parseDescriptor } from '../../../src/model/descriptor.js';
import { digestHex, isDigest, parseDigest } from '../../../src/model/digest.js';
import { decryptedMediaType, isEncryptedMediaType, layerCompression } from '../../../src/model/media-types.js';
import { parseManifest, serializeManifest } from '../../../src/model/manifest.js';
import { hostPlatform, platformMatches } from '../../../src/model/platform.js';
import { blobPath } from '../../../src/transports/oci/layout.js';
import { dirBlobPath } from '../../../src/transports/dir/layout.js';
import { fixtureIndexes, fixtureJsonBlobs } from '../arbitraries/fixtures.js';
import { mutatedJson } from '../arbitraries/json.js';
import { digestLike, mediaTypeLike } from '../arbitraries/text.js';
import { defineTarget } from '../harness/target.js';

const desc = (mediaType: string, digest: string, size: number, extra: Record<string, unknown> = {}): Record<string, unknown> => ({ mediaType, digest, size, ...extra });
const D = `sha256:${'ab'.repeat(32)}`;

/** Seeds the vectors lack: Docker schema2, a manifest list with platforms, an OCI index of platforms, a subject. */
const BUILT = [
  {
    schemaVersion: 2,
    mediaType: 'application/vnd.docker.distribution.manifest.v2+json',
    config: desc('application/vnd.docker.container.image.v1+json', D, 1470),
    layers: [desc('application/vnd.docker.image.rootfs.diff.tar.gzip', D, 977, { urls: ['https://example.com/l'] })],
  },
  {
    schemaVersion: 2,
    mediaType: 'application/vnd.docker.distribution.manifest.list.v2+json',
    manifests: [
      desc('application/vnd.docker.distribution.manifest.v2+json', D, 528, { platform: { architecture: 'amd64', os: 'linux' } }),
      desc('application/vnd.docker.distribution.manifest.v2+json', D, 528, { platform: { architecture: 'arm', os: 'linux', variant: 'v7', 'os.features': ['sse4'] } }),
    ],
  },
  {
    schemaVersion: 2,
    mediaType: 'application/vnd.oci.image.index.v1+json',
    manifests: [desc('application/vnd.oci.image.manifest.v1+json', D, 400, { platform: { architecture: 'arm64', os: 'linux', 'os.version': '1' }, annotations: { 'org.opencontainers.image.ref.name': 'v1' } })],
    annotations: { a: 'b' },
  },
  {
    schemaVersion: 2,
    mediaType: 'application/vnd.oci.image.manifest.v1+json',
    artifactType: 'application/x',
    config: desc('application/vnd.oci.empty.v1+json', 'sha256:44136fa355b3678a1146ad16f7e8649e94fb4fc21fe77e8310c060f61caaff8a', 2, { data: 'e30=' }),
    layers: [],
    subject: desc('application/vnd.oci.image.manifest.v1+json', D, 10),
  },
  { schemaVersion: 1, name: 'x', fsLayers: [] },
];

const manifestSeeds = [...fixtureJsonBlobs().filter((d) => (d as { schemaVersion?: unknown }).schemaVersion !== undefined), ...fixtureIndexes(), ...BUILT];
const configSeeds = fixtureJsonBlobs().filter((d) => (d as { rootfs?: unknown }).rootfs !== undefined);
const MANIFEST_KEYS = ['schemaVersion', 'mediaType', 'config', 'layers', 'manifests', 'platform', 'annotations', 'digest', 'size', 'urls', 'subject', 'rootfs', 'diff_ids', 'os', 'architecture', 'variant'];
const values = [digestLike, mediaTypeLike, fc.constantFrom(1, 2, 3, '2')];

const host = hostPlatform();

/** What copy and inspect do with a parsed manifest at once, before any blob moves. */
function useManifest(bytes: Buffer, declared: string | undefined): void {
  const parsed = parseManifest(bytes, declared);
  if (parsed.kind === 'index') {
    for (const m of parsed.index.manifests) {
      platformMatches(host, m.platform);
      canonicalDescriptor(m);
    }
    serializeManifest(parsed.index);
  } else {
    for (const l of [parsed.manifest.config, ...parsed.manifest.layers]) {
      canonicalDescriptor(l);
      layerCompression(decryptedMediaType(l.mediaType));
      isEncryptedMediaType(l.mediaType);
      digestHex(l.digest);
    }
    serializeManifest(parsed.manifest);
  }
}

export const manifestTarget = defineTarget({
  name: 'manifest',
  about: 'parseManifest of manifests and indexes (OCI, Docker schema2), then what copy does with them',
  codes: ['MANIFEST_INVALID', 'UNSUPPORTED_MEDIA_TYPE'],
  ciRuns: 1200,
  arbitrary: fc.tuple(mutatedJson(manifestSeeds, { values, keys: MANIFEST_KEYS }), fc.option(mediaTypeLike, { freq: 3 })),
  open: async () => ({ run: ([text, declared]: [string, string | null]) => useManifest(Buffer.from(text, 'utf8'), declared ?? undefined) }),
});

export const configTarget = defineTarget({
  name: 'config',
  about: 'parseImageConfig (rootfs.diff_ids, platform fields)',
  codes: ['MANIFEST_INVALID'],
  ciRuns: 600,
  arbitrary: mutatedJson(configSeeds, { values, keys: MANIFEST_KEYS }),
  open: async () => ({
    run: (text: string) => {
      const c = parseImageConfig(Buffer.from(text, 'utf8'));
      for (const d of c.rootfs?.diff_ids ?? []) digestHex(d);
    },
  }),
});

export const descriptorTarget = defineTarget({
  name: 'descriptor',
  about: 'parseDescriptor of any JSON value, then canonicalDescriptor',
  codes: ['MANIFEST_INVALID'],
  ciRuns: 1200,
  arbitrary: mutatedJson(
    manifestSeeds.flatMap((m) => {
      const o = m as { config?: unknown; layers?: unknown[]; manifests?: unknown[] };
      return [o.config, ...(o.layers ?? []), ...(o.manifests ?? [])].filter((x) => x !== undefined);
    }),
    { values, keys: MANIFEST_KEYS },
  ),
  open: async () => ({
    run: (text: string) => {
      let v: unknown;
      try {
        v = JSON.parse(text);
      } catch {
        return; // the parser's input is a JSON value; text that is none is the manifest target's job
      }
      canonicalDescriptor(parseDescriptor(v, 'fuzz'));
    },
  }),
});

export const digestTarget = defineTarget({
  name: 'digest',
  about: 'parseDigest / isDigest and the blob paths built from a digest (oci:, dir:)',
  codes: ['MANIFEST_INVALID'],
  ciRuns: 2400,
  arbitrary: digestLike,
  open: async () => ({
    run: (s: string) => {
      const ok = isDigest(s);
      const p = parseDigest(s);
      if (!ok) throw new Error('isDigest said no, parseDigest said yes');
      const path = blobPath('/layout', s as `${string}:${string}`);
      if (!path.startsWith(`/layout/blobs/${p.algorithm}/`) || path.includes('..')) throw new Error(`blob path ${path} leaves blobs/`);
      dirBlobPath('/dir', s as `${string}:${string}`);
    },
  }),
});
