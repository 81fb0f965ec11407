// Progress: plain lines on a non-TTY stderr (one per blob start and finish), nothing with
// --quiet, and stdout kept clean for --json.
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Writable } from 'node:stream';
import { after, before, test } from 'node:test';
import { ConsoleProgress } from '../../src/cli/progress.js';
import { runCli } from '../testkit/cli.js';
import { buildLayout, type BuiltImage } from '../testkit/image-builder.js';

let dir: string;
let img: BuiltImage;

before(async () => {
  dir = mkdtempSync(join(tmpdir(), 'imgseal-progress-'));
  img = await buildLayout(join(dir, 'src'), [{ files: { 'a.txt': 'a\n' }, compression: 'gzip' }, { files: { 'b.txt': 'b\n' }, compression: 'gzip' }], { ref: 'v1' });
});
after(() => rmSync(dir, { recursive: true, force: true }));

test('a copy reports each blob start and finish on stderr, and --json stays on stdout', async () => {
  const r = await runCli(['copy', '--json', `oci:${join(dir, 'src')}:v1`, `oci:${join(dir, 'dst')}:v1`]);
  assert.equal(r.code, 0, r.stderr);
  for (const l of img.layers) {
    const short = l.desc.digest.slice(0, 19);
    assert.match(r.stderr, new RegExp(`Copying blob ${short} \\(`));
    assert.match(r.stderr, new RegExp(`Copying blob ${short} done`));
  }
  const result = JSON.parse(r.stdout);
  assert.equal(result.digest, img.manifest.digest, 'a plain copy keeps the manifest digest');
  assert.equal(result.layers.length, 2);
});

test('a second copy into the same layout reports the blobs as already present', async () => {
  const r = await runCli(['copy', `oci:${join(dir, 'src')}:v1`, `oci:${join(dir, 'dst')}:v2`]);
  assert.equal(r.code, 0, r.stderr);
  assert.match(r.stderr, /skipped: already exists/);
});

test('--quiet prints nothing on success', async () => {
  const r = await runCli(['copy', '-q', `oci:${join(dir, 'src')}:v1`, `oci:${join(dir, 'dst2')}:v1`]);
  assert.equal(r.code, 0, r.stderr);
  assert.equal(r.stderr, '');
  assert.equal(r.stdout, '');
});

test('on a TTY the renderer draws bars with a total, rate and ETA and clears them', () => {
  let out = '';
  const sink = Object.assign(
    new Writable({
      write(chunk, _enc, cb) {
        out += String(chunk);
        cb();
      },
    }),
    { isTTY: true, columns: 100 },
  ) as unknown as NodeJS.WriteStream;
  const p = new ConsoleProgress(sink);
  const desc = { mediaType: 'x', digest: `sha256:${'a'.repeat(64)}` as const, size: 1000 };
  p.blobStarted(desc, 'encrypt');
  p.blobProgress(desc, 500);
  p.note('half way');
  assert.match(out, /Encrypting sha256:aaaaaaaaaaaa \[=+ +\] 500 B \/ 1000 B/);
  assert.match(out, /Total +\[=+ +\] 500 B \/ 1000 B .*\/s ETA \d+ s/);
  p.blobDone(desc, 'encrypt');
  p.finish();
  assert.match(out.replaceAll('\u001b', 'ESC'), /ESC\[\d+AESC\[0J/, 'redraws in place');
  assert.match(out, /Done sha256:aaaaaaaaaaaa 1000 B/);
});
