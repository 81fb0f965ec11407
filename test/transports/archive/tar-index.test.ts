import { test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdir, symlink, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { isImgsealError } from '../../../src/errors.js';
import { indexTar } from '../../../src/transports/archive/tar-index.js';
import { writeTar } from '../../../src/transports/archive/tar-write.js';
import { collect, sh, tempDir } from './helpers.js';

// Over 100 characters (needs a long-name extension or the ustar prefix), yet its symlink's
// target stays under 100, which plain ustar requires.
const LONG = `${'d'.repeat(60)}/${'e'.repeat(20)}/${'f'.repeat(70)}.bin`;

for (const format of ['gnu', 'pax', 'ustar'] as const) {
  test(`tar index reads ${format} archives from GNU tar: long names, symlinks, empty files`, async (t) => {
    const dir = await tempDir(t);
    const tree = join(dir, 'tree');
    await mkdir(join(tree, LONG, '..'), { recursive: true });
    await writeFile(join(tree, LONG), Buffer.alloc(70_000, 7));
    await writeFile(join(tree, 'empty'), '');
    const [d, e, f] = LONG.split('/') as [string, string, string];
    await symlink(`../${e}/${f}`, join(tree, d, e, 'link')); // "..": relative to the link's own folder
    const file = join(dir, 'a.tar');
    await sh('tar', ['-C', tree, `--format=${format}`, '-cf', file, '.']);
    const index = await indexTar(file);
    const long = index.find(`./${LONG}`);
    assert.ok(long, `found ${LONG}; names: ${index.names().join(', ')}`);
    assert.deepEqual(await collect(index.open(long)), Buffer.alloc(70_000, 7));
    assert.deepEqual(index.find(`${d}/${e}/link`), long, 'symlink resolved relative to its folder');
    const empty = index.find('empty');
    assert.ok(empty);
    assert.equal((await collect(index.open(empty))).length, 0);
    assert.equal(index.find('missing'), undefined);
  });
}

test('tar index reads what tar-write writes (tar-stream, pax names) and refuses truncated archives', async (t) => {
  const dir = await tempDir(t);
  const blob = join(dir, 'blob');
  await writeFile(blob, Buffer.alloc(1025, 3));
  const file = join(dir, 'w.tar');
  await writeTar(file, [
    { name: 'x/', type: 'directory' },
    { name: `x/${'y'.repeat(150)}`, type: 'file', path: blob },
    { name: 'small', type: 'file', bytes: Buffer.from('hi') },
    { name: 'ln', type: 'symlink', linkname: 'small' },
  ]);
  const index = await indexTar(file);
  assert.deepEqual(await collect(index.open(index.find(`x/${'y'.repeat(150)}`)!)), Buffer.alloc(1025, 3));
  assert.equal(await index.read(index.find('ln')!, 10).then((b) => b.toString()), 'hi');
  await assert.rejects(index.read(index.find('small')!, 1), (e) => isImgsealError(e, 'MANIFEST_INVALID'));
  assert.match(await sh('tar', ['-tvf', file]), /small/); // GNU tar agrees it is a tar

  const { readFile } = await import('node:fs/promises');
  // Cut inside padding, at a header boundary after a pax header, and inside data.
  for (const at of [1500, 1536, 2000]) {
    const cut = join(dir, `cut-${at}.tar`);
    await writeFile(cut, (await readFile(file)).subarray(0, at));
    await assert.rejects(indexTar(cut), (e) => isImgsealError(e, 'MANIFEST_INVALID') && /truncated/.test(e.message), `cut at ${at}`);
  }
});
