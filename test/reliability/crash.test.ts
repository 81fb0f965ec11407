/**
 * Crash consistency: `imgseal copy` killed with SIGKILL at random points while it writes
 * a new tag into a layout that already holds an image. After every kill the layout is a
 * valid OCI layout (index.json parses; every image it names is complete, every blob
 * hashing to its digest), the old image is intact and readable by the real skopeo, and
 * the new tag is either absent or complete. The next copy removes what the killed ones
 * left (staging folders, temporary files, a lock), and leaves nothing of its own.
 *
 * Kill points: on a random progress line (a blob started, a blob done, the manifest
 * being written) or at a random time within what a whole copy takes, so they fall
 * before, during and after the blob writes and around the commit. The copy encrypts, so
 * every run writes new blobs (nothing is reused from the runs before); trials go on
 * until KILLS of them were killed mid-copy.
 */
import assert from 'node:assert/strict';
import { spawn, spawnSync } from 'node:child_process';
import { createHash, randomBytes } from 'node:crypto';
import { mkdirSync, mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { gzipSync } from 'node:zlib';
import { after, test } from 'node:test';
import { CLI_MAIN, REPO_ROOT, runCli } from '../testkit/cli.js';
import { buildLayout, OCI_INDEX } from '../testkit/image-builder.js';
import { blobFile, readImage, readIndexJson, REF_NAME, type Index, type Manifest } from '../testkit/image-reader.js';
import { requireTool, skopeo } from '../testkit/tools.js';

const dir = mkdtempSync(join(tmpdir(), 'imgseal-crash-'));
after(() => rmSync(dir, { recursive: true, force: true }));

const KILLS = 20;
const MAX_TRIALS = 80;
const LAYERS = 8;

/** Every blob `desc` reaches, read and checked against its digest (throws on any flaw). */
function checkComplete(layout: string, desc: { digest: string; mediaType: string }): void {
  const bytes = readFileSync(blobFile(layout, desc.digest));
  assert.equal(`sha256:${createHash('sha256').update(bytes).digest('hex')}`, desc.digest, `${desc.digest} is intact`);
  if (desc.mediaType === OCI_INDEX) {
    for (const m of (JSON.parse(bytes.toString()) as Index).manifests) checkComplete(layout, m);
    return;
  }
  if (!desc.mediaType.includes('manifest')) return;
  const m = JSON.parse(bytes.toString()) as Manifest;
  for (const d of [m.config, ...m.layers]) checkComplete(layout, d);
}

function assertValidLayout(layout: string, why: string): string[] {
  assert.deepEqual(JSON.parse(readFileSync(join(layout, 'oci-layout'), 'utf8')), { imageLayoutVersion: '1.0.0' }, why);
  const index = readIndexJson(layout); // parses, or the test fails here
  for (const m of index.manifests) checkComplete(layout, m);
  return index.manifests.map((m) => m.annotations?.[REF_NAME] ?? '');
}

/** Leftovers of a writer: dot-entries in the layout, staging beside it. */
function leftovers(layout: string): string[] {
  return [...readdirSync(layout).filter((n) => n.startsWith('.')), ...readdirSync(dir).filter((n) => n.startsWith('.dest'))];
}

type KillPoint = { kind: 'line'; pattern: RegExp; nth: number } | { kind: 'time'; ms: number };

function randomKillPoint(wholeCopyMs: number): KillPoint {
  const r = Math.random();
  if (r < 0.3) return { kind: 'line', pattern: /^Encrypting blob sha256:\w+ \(/gm, nth: 1 + Math.floor(Math.random() * LAYERS) };
  if (r < 0.6) return { kind: 'line', pattern: /^Encrypting blob sha256:\w+ done/gm, nth: 1 + Math.floor(Math.random() * LAYERS) };
  if (r < 0.75) return { kind: 'line', pattern: /^Writing manifest/gm, nth: 1 };
  return { kind: 'time', ms: Math.floor((0.2 + Math.random() * 0.8) * wholeCopyMs) };
}

/** Runs a copy and SIGKILLs it at `point`; resolves with how it ended. */
function copyAndKill(args: string[], point: KillPoint): Promise<{ code: number | null; signal: NodeJS.Signals | null; stderr: string }> {
  return new Promise((resolve, reject) => {
    const child = spawn(process.execPath, [CLI_MAIN, 'copy', ...args], { cwd: REPO_ROOT, stdio: ['ignore', 'ignore', 'pipe'] });
    let stderr = '';
    const kill = (): void => void child.kill('SIGKILL');
    const guard = setTimeout(kill, 60_000);
    if (point.kind === 'time') setTimeout(kill, point.ms);
    child.stderr.setEncoding('utf8').on('data', (d: string) => {
      stderr += d;
      if (point.kind === 'line' && (stderr.match(point.pattern)?.length ?? 0) >= point.nth) kill();
    });
    child.on('error', reject);
    child.on('close', (code, signal) => {
      clearTimeout(guard);
      resolve({ code, signal, stderr });
    });
  });
}

test(`SIGKILL at ${KILLS} random points of a copy into a layout: always valid, old image intact (skopeo), leftovers cleaned next time`, async (t) => {
  if (!requireTool('skopeo', t)) return;
  const src = join(dir, 'src');
  await buildLayout(
    src,
    Array.from({ length: LAYERS }, (_, i) => ({ files: { [`f${i}.txt`]: randomBytes(96 << 10).toString('base64') }, compression: 'gzip' as const })),
    { ref: 'v1' },
  );
  const dest = join(dir, 'dest');
  await buildLayout(dest, [{ files: { 'old.txt': 'the old image\n' }, compression: 'gzip' }], { ref: 'old' });
  const oldInspect = JSON.parse((await skopeo(['inspect', `oci:${dest}:old`])).stdout) as { Digest: string };
  const key = join(dir, 'key');
  assert.equal((await runCli(['keygen', '--type', 'ec', '-o', key])).code, 0);
  const encrypt = ['--encryption-key', `jwe:${key}.pub.pem`];
  const t0 = Date.now();
  const whole = await runCli(['copy', ...encrypt, `oci:${src}:v1`, `oci:${join(dir, 'scratch')}:v1`]);
  assert.equal(whole.code, 0, whole.stderr);
  const wholeCopyMs = Date.now() - t0;

  let killed = 0;
  let leftBehind = 0;
  const landed: string[] = [];
  // Until KILLS kills, and at least one that left something to clean (on a loaded machine
  // late kills may all land after the commit: then kill at the first blob).
  for (let i = 0; (killed < KILLS || leftBehind === 0) && i < MAX_TRIALS; i++) {
    const tag = `t${i}`;
    const point: KillPoint = killed < KILLS ? randomKillPoint(wholeCopyMs) : { kind: 'line', pattern: /^Encrypting blob sha256:\w+ \(/gm, nth: 1 };
    const r = await copyAndKill([...encrypt, `oci:${src}:v1`, `oci:${dest}:${tag}`], point);
    const why = `trial ${i} (${JSON.stringify(point, (_k, v: unknown) => (v instanceof RegExp ? v.source : v))}, ended ${r.signal ?? r.code})`;
    if (r.signal === 'SIGKILL') killed++;
    else {
      assert.equal(r.code, 0, `${why}: a copy that was not killed succeeds: ${r.stderr}`);
      // A line point that never matched would silently turn into "no kill": the progress wording changed.
      if (point.kind === 'line') assert.ok((r.stderr.match(point.pattern)?.length ?? 0) >= point.nth, `${why}: the kill line never appeared in the progress output:\n${r.stderr}`);
    }

    const tags = assertValidLayout(dest, why);
    assert.ok(tags.includes('old'), `${why}: the old tag is still there`);
    if (tags.includes(tag)) landed.push(tag);
    assert.deepEqual(tags.filter((n) => n !== 'old').sort(), [...landed].sort(), `${why}: tags = old + the copies that committed`);
    assert.equal((await readImage(dest, 'old')).files['old.txt'], 'the old image\n', why);
    const seen = JSON.parse((await skopeo(['inspect', `oci:${dest}:old`])).stdout) as { Digest: string };
    assert.equal(seen.Digest, oldInspect.Digest, `${why}: skopeo reads the old image unchanged`);
    if (leftovers(dest).length > 0) leftBehind++;
  }
  assert.ok(killed >= KILLS, `${KILLS} trials were killed mid-copy (${killed} in ${MAX_TRIALS})`);
  assert.ok(leftBehind > 0, 'some kills left staging behind (else the cleanup was not exercised)');

  const before = leftovers(dest);
  const r = await runCli(['copy', '-q', ...encrypt, `oci:${src}:v1`, `oci:${dest}:final`]);
  assert.equal(r.code, 0, r.stderr);
  assert.deepEqual(leftovers(dest), [], `the next copy removed what the killed ones left (${before.join(', ')})`);
  assertValidLayout(dest, 'after the final copy');
  const out = join(dir, 'out');
  await skopeo(['copy', `oci:${dest}:final`, `dir:${out}`]);
  await skopeo(['copy', `oci:${dest}:old`, `dir:${out}-old`]);
  assert.ok(readdirSync(out).includes('manifest.json'), 'skopeo copies the new image out');
});

/** The pid of a process that has ended. */
function deadPid(): number {
  return Number(spawnSync(process.execPath, ['-e', 'process.stdout.write(String(process.pid))'], { encoding: 'utf8' }).stdout);
}

test('what a killed writer left beside an archive, and of a decompression, goes on the next write; a live writer\'s stays', async () => {
  const src = join(dir, 'small');
  await buildLayout(src, [{ files: { 'a.txt': 'a\n' }, compression: 'gzip' }], { ref: 'v1' });
  const area = join(dir, 'archives');
  const tmp = join(dir, 'tmp');
  mkdirSync(area);
  mkdirSync(tmp);
  const live = spawn(process.execPath, ['-e', 'setTimeout(() => {}, 60000)'], { stdio: 'ignore' });
  try {
    const stale = [`.img.tar.imgseal-${deadPid()}.abcdefgh-0badc0de`, `.img.tar.imgseal-${deadPid()}-0badc0de`];
    const alive = `.img.tar.imgseal-${live.pid}-0badc0de`;
    for (const n of [...stale, alive]) mkdirSync(join(area, n, 'blobs'), { recursive: true });
    const staleTmp = `imgseal-archive-${deadPid()}.abcdefgh-0badc0de`;
    mkdirSync(join(tmp, staleTmp));

    const archive = join(area, 'img.tar');
    const r = await runCli(['copy', '-q', `oci:${src}:v1`, `oci-archive:${archive}:v1`]);
    assert.equal(r.code, 0, r.stderr);
    assert.deepEqual(readdirSync(area).sort(), [alive, 'img.tar'].sort(), 'stale staging removed, the live one kept, nothing of this copy left');

    writeFileSync(`${archive}.gz`, gzipSync(readFileSync(archive)));
    const back = await runCli(['copy', '-q', `oci-archive:${archive}.gz:v1`, `oci:${join(dir, 'from-gz')}:v1`], { env: { TMPDIR: tmp } });
    assert.equal(back.code, 0, back.stderr);
    assert.deepEqual(readdirSync(tmp), [], 'the stale decompression copy is removed, and this one\'s too');
  } finally {
    live.kill('SIGKILL');
  }
});
