/** Archives from anyone: tar headers (oci-archive:, docker-archive:) and docker save's manifest.json. */
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import fc from 'fast-check';
import { chooseManifestItem, parseManifestJson } from '../../../src/transports/archive/docker-manifest-json.js';
import { parseNamedTagged } from '../../../src/transports/archive/docker-name.js';
import { indexTar } from '../../../src/transports/archive/tar-index.js';
import { mutatedJson } from '../arbitraries/json.js';
import { tarCase, type TarCase } from '../arbitraries/tar.js';
import { edited, validDigest } from '../arbitraries/text.js';
import { defineTarget } from '../harness/target.js';

export const tarTarget = defineTarget({
  name: 'tar',
  about: 'indexTar (ustar, pax, GNU headers, gzip) then find and read of entries',
  codes: ['MANIFEST_INVALID', 'UNSUPPORTED_MEDIA_TYPE'],
  ciRuns: 400,
  arbitrary: tarCase,
  open: async () => {
    const dir = await mkdtemp(join(tmpdir(), 'imgseal-fuzz-tar-'));
    const file = join(dir, 'archive.tar');
    // Decompressed copies of gzip cases go to TMPDIR: keep them in our folder.
    const savedTmp = process.env.TMPDIR;
    process.env.TMPDIR = dir;
    return {
      run: async ({ bytes, lookups }: TarCase) => {
        await writeFile(file, bytes);
        const tar = await indexTar(file);
        try {
          for (const name of [...lookups, ...tar.names()]) {
            const e = tar.find(name);
            if (e) await tar.read(e, 1 << 16);
          }
        } finally {
          await tar.close();
        }
      },
      close: async () => {
        if (savedTmp === undefined) delete process.env.TMPDIR;
        else process.env.TMPDIR = savedTmp;
        await rm(dir, { recursive: true, force: true });
      },
    };
  },
});

const hex = validDigest.map((d) => d.slice(d.indexOf(':') + 1));
const manifestJsonSeeds = [
  [{ Config: 'a1b2.json', RepoTags: ['busybox:latest'], Layers: ['l1/layer.tar', 'l2/layer.tar'] }],
  [{ Config: 'blobs/sha256/aa', RepoTags: null, Layers: ['blobs/sha256/bb'], LayerSources: { 'sha256:bb': { mediaType: 'x', size: 1, digest: 'sha256:bb' } } }],
  [
    { Config: 'c1.json', RepoTags: ['localhost:5000/a/b:v1', 'docker.io/library/x:1'], Layers: [] },
    { Config: 'c2.json', RepoTags: ['quay.io/x/y'], Layers: ['z.tar'] },
  ],
];
const tagLike = fc.oneof(fc.constantFrom('busybox', 'busybox:latest', 'localhost:5000/a/b:v1', 'quay.io/x/y', 'UPPER/x', '[::1]:5000/a:b', 'a@sha256:x', ':tag', ''), edited(fc.constantFrom('docker.io/library/x:1', 'localhost:5000/a/b:v1')));

export const dockerManifestJsonTarget = defineTarget({
  name: 'docker-manifest-json',
  about: "docker save's manifest.json: parseManifestJson, then chooseManifestItem by tag, by @N, or the only one",
  codes: ['MANIFEST_INVALID', 'IMAGE_NOT_FOUND', 'AMBIGUOUS_IMAGE', 'INVALID_REFERENCE'],
  ciRuns: 900,
  arbitrary: fc.tuple(
    mutatedJson(manifestJsonSeeds, { values: [tagLike, hex.map((h) => `${h}.json`), fc.constantFrom(['x:1'], [null], [1])], keys: ['Config', 'RepoTags', 'Layers'] }),
    fc.oneof(fc.constant({ kind: 'only' as const }), fc.record({ kind: fc.constant('tag' as const), tag: tagLike }), fc.record({ kind: fc.constant('index' as const), index: fc.oneof(fc.nat({ max: 3 }), fc.nat()) })),
  ),
  open: async () => ({
    run: ([text, pick]: [string, { kind: 'only' } | { kind: 'tag'; tag: string } | { kind: 'index'; index: number }]) => {
      const items = parseManifestJson(Buffer.from(text, 'utf8'), 'docker-archive:fuzz.tar');
      const tagged = pick.kind === 'tag' ? parseNamedTagged(pick.tag) : undefined;
      const item = chooseManifestItem(items, tagged, pick.kind === 'index' ? pick.index : undefined, 'docker-archive:fuzz.tar');
      for (const l of [item.Config, ...item.Layers]) l.toLowerCase();
    },
  }),
});
