/**
 * Concurrency: several `imgseal copy` processes writing different tags into one OCI
 * layout at the same time (an existing one, and one that none of them finds) lose
 * nothing: every exit status is 0 and every tag is in index.json afterwards, naming a
 * readable image. Before the layout lock, commits read, edited and renamed index.json
 * unserialized, and tags vanished while every process exited 0.
 * The same for the other shared files imgseal rewrites: a `dir:` image (the last
 * writer wins, whole) and auth.json (concurrent logouts each remove their entry).
 */
import assert from 'node:assert/strict';
import { existsSync, mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, test } from 'node:test';
import { runCli } from '../testkit/cli.js';
import { buildLayout } from '../testkit/image-builder.js';
import { readImage, readIndexJson, REF_NAME } from '../testkit/image-reader.js';

const dir = mkdtempSync(join(tmpdir(), 'imgseal-concurrency-'));
after(() => rmSync(dir, { recursive: true, force: true }));

const WRITERS = 6;
const TAGS_PER_WRITER = 3;

/** One small source image per writer, so the writers also merge different blobs. */
async function sources(): Promise<string[]> {
  return Promise.all(
    Array.from({ length: WRITERS }, async (_, w) => {
      const src = join(dir, `src-${w}`);
      if (!existsSync(src)) await buildLayout(src, [{ files: { 'who.txt': `writer ${w}\n` }, compression: 'gzip' }], { ref: 'v1' });
      return src;
    }),
  );
}

/** Each writer copies its tags one after the other; the writers run at once. */
async function writeAll(srcs: string[], dest: string): Promise<{ tag: string; code: number | null; stderr: string }[]> {
  const results = await Promise.all(
    srcs.map(async (src, w) => {
      const out: { tag: string; code: number | null; stderr: string }[] = [];
      for (let t = 0; t < TAGS_PER_WRITER; t++) {
        const tag = `w${w}-t${t}`;
        const r = await runCli(['copy', '-q', `oci:${src}:v1`, `oci:${dest}:${tag}`], { timeoutMs: 120_000 });
        out.push({ tag, code: r.code, stderr: r.stderr });
      }
      return out;
    }),
  );
  return results.flat();
}

async function assertAllTags(dest: string, runs: { tag: string; code: number | null; stderr: string }[], extra: string[]): Promise<void> {
  for (const r of runs) assert.equal(r.code, 0, `${r.tag}: exit ${r.code}: ${r.stderr}`);
  const names = readIndexJson(dest).manifests.map((m) => m.annotations?.[REF_NAME]);
  assert.deepEqual([...names].sort(), [...runs.map((r) => r.tag), ...extra].sort(), 'every tag once in index.json');
  for (const r of runs) {
    const w = Number(/^w(\d+)/.exec(r.tag)?.[1]);
    const img = await readImage(dest, r.tag);
    assert.equal(img.files['who.txt'], `writer ${w}\n`, `${r.tag} names writer ${w}'s image`);
  }
  const left = readdirSync(dest).filter((n) => n.startsWith('.'));
  assert.deepEqual(left, [], 'no staging, lock or temporary file left in the layout');
}

test(`${WRITERS} writers × ${TAGS_PER_WRITER} tags into an existing layout: every tag lands`, async () => {
  const srcs = await sources();
  const dest = join(dir, 'existing');
  await buildLayout(dest, [{ files: { 'old.txt': 'already here\n' }, compression: 'none' }], { ref: 'old' });
  const runs = await writeAll(srcs, dest);
  await assertAllTags(dest, runs, ['old']);
  assert.equal((await readImage(dest, 'old')).files['old.txt'], 'already here\n', 'the image that was there is intact');
});

test(`${WRITERS} writers × ${TAGS_PER_WRITER} tags into a layout none of them finds: every tag lands`, async () => {
  const srcs = await sources();
  const dest = join(dir, 'fresh');
  const runs = await writeAll(srcs, dest);
  await assertAllTags(dest, runs, []);
  assert.deepEqual(readdirSync(dir).filter((n) => n.startsWith('.fresh')), [], 'no staging folder left beside the layout');
});

test(`${WRITERS} writers into one dir: image at once: all succeed, the folder holds one of them whole`, async () => {
  const srcs = await sources();
  const dest = join(dir, 'dir-image');
  const runs = await Promise.all(srcs.map((src) => runCli(['copy', '-q', `oci:${src}:v1`, `dir:${dest}`], { timeoutMs: 120_000 })));
  for (const r of runs) assert.equal(r.code, 0, r.stderr);
  const manifest = JSON.parse(readFileSync(join(dest, 'manifest.json'), 'utf8')) as { config: { digest: string }; layers: { digest: string }[] };
  const files = readdirSync(dest).sort();
  const expected = ['manifest.json', 'version', manifest.config.digest.slice(7), ...manifest.layers.map((l) => l.digest.slice(7))].sort();
  assert.deepEqual(files, expected, 'exactly one image: its manifest, config and layers, nothing of the others');
  assert.deepEqual(readdirSync(dir).filter((n) => n.startsWith('.dir-image')), [], 'no staging or lock left beside it');
});

test('concurrent logouts from one auth.json: each removes its entry, none comes back', async () => {
  const authFile = join(dir, 'auth.json');
  const hosts = Array.from({ length: 8 }, (_, i) => `registry-${i}.example:5000`);
  const auths = Object.fromEntries([...hosts, 'keep.example'].map((h) => [h, { auth: Buffer.from('u:p').toString('base64') }]));
  writeFileSync(authFile, JSON.stringify({ auths }), { mode: 0o600 });
  const runs = await Promise.all(hosts.map((h) => runCli(['logout', '--authfile', authFile, h])));
  for (const r of runs) assert.equal(r.code, 0, r.stderr);
  const left = JSON.parse(readFileSync(authFile, 'utf8')) as { auths: Record<string, unknown> };
  assert.deepEqual(Object.keys(left.auths), ['keep.example']);
  assert.deepEqual(readdirSync(dir).filter((n) => n.startsWith('.auth.json') || n.startsWith('auth.json.')), [], 'no lock or temporary left');
});
