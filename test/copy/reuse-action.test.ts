// Issue 12, defect 10: a layer the destination already holds is reported as `reuse` in
// --json (it was reported as `copy`, although nothing was copied).
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, test } from 'node:test';
import { runCli } from '../testkit/cli.js';
import { buildLayout } from '../testkit/image-builder.js';

const tmp = mkdtempSync(join(tmpdir(), 'imgseal-reuse-'));
after(() => rmSync(tmp, { recursive: true, force: true }));

test('copy --json reports reuse for layers already at the destination, copy for the others', async () => {
  const src = join(tmp, 'src');
  const img = await buildLayout(src, [{ files: { 'a.txt': 'a\n' }, compression: 'gzip' }, { files: { 'b.txt': 'b\n' }, compression: 'gzip' }], { ref: 'v1' });
  const dest = join(tmp, 'dest');
  const first = await runCli(['copy', '-q', '--json', `oci:${src}:v1`, `oci:${dest}:a`]);
  assert.equal(first.code, 0, first.stderr);
  assert.deepEqual(
    (JSON.parse(first.stdout) as { layers: { action: string }[] }).layers.map((l) => l.action),
    ['copy', 'copy'],
  );
  const second = await runCli(['copy', '-q', '--json', `oci:${src}:v1`, `oci:${dest}:b`]);
  assert.equal(second.code, 0, second.stderr);
  const layers = (JSON.parse(second.stdout) as { layers: { index: number; action: string; digest: string }[] }).layers.sort((a, b) => a.index - b.index);
  assert.deepEqual(
    layers.map((l) => [l.action, l.digest]),
    img.layers.map((l) => ['reuse', l.desc.digest]),
  );
});
