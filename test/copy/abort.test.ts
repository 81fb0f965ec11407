/**
 * copyImage with an AbortSignal: aborting mid-copy rejects with ABORTED (the signal's
 * own ImgsealError when it gives one) at once, even while a read is blocked in the
 * kernel, and leaves no destination and no staging folder.
 */
import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import { closeSync, constants, existsSync, mkdtempSync, openSync, readdirSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, test } from 'node:test';
import { copyImage } from '../../src/copy/index.js';
import { ImgsealError, isImgsealError } from '../../src/errors.js';
import { parseImageName } from '../../src/transports/transports.js';
import { buildLayout } from '../testkit/image-builder.js';
import { blobFile } from '../testkit/image-reader.js';

const dir = mkdtempSync(join(tmpdir(), 'imgseal-abort-'));
after(() => rmSync(dir, { recursive: true, force: true }));

test('an aborted copy rejects with the abort reason and leaves nothing behind', async () => {
  const src = join(dir, 'src');
  const img = await buildLayout(src, [{ files: { 'a.txt': 'a\n' }, compression: 'none' }, { files: { 'b.txt': 'b\n' }, compression: 'none' }], { ref: 'v1' });
  const fifo = blobFile(src, img.layers[1]!.desc.digest);
  rmSync(fifo);
  execFileSync('mkfifo', [fifo]);
  const dest = join(dir, 'out');
  const ac = new AbortController();
  let started = 0;
  const copy = copyImage(parseImageName(`oci:${src}:v1`), parseImageName(`oci:${dest}:v1`), {
    signal: ac.signal,
    progress: {
      blobStarted: () => {
        if (++started === 2) setTimeout(() => ac.abort(new ImgsealError('ABORTED', 'stopped by the test')), 100);
      },
      blobProgress: () => {},
      blobDone: () => {},
    },
  });
  try {
    await assert.rejects(copy, (e) => isImgsealError(e, 'ABORTED') && e.message === 'stopped by the test');
    assert.equal(existsSync(dest), false);
    assert.deepEqual(readdirSync(dir).filter((n) => n.includes('out')), [], 'no staging folder');
  } finally {
    // Release the read still blocked on the FIFO, so this process can end.
    closeSync(openSync(fifo, constants.O_WRONLY | constants.O_NONBLOCK));
  }
});

test('an abort before the copy starts rejects without touching the destination', async () => {
  const src = join(dir, 'src2');
  await buildLayout(src, [{ files: { 'a.txt': 'a\n' }, compression: 'none' }], { ref: 'v1' });
  const ac = new AbortController();
  ac.abort();
  await assert.rejects(
    copyImage(parseImageName(`oci:${src}:v1`), parseImageName(`oci:${join(dir, 'out2')}:v1`), { signal: ac.signal }),
    (e) => isImgsealError(e, 'ABORTED') && /interrupted/.test(e.message),
  );
  assert.equal(existsSync(join(dir, 'out2')), false);
});
