/**
 * copyImage with an AbortSignal: aborting mid-copy rejects with ABORTED (the signal's
 * own ImgsealError when it gives one) at once, even while a read never returns (as one
 * blocked in the kernel), and leaves no destination and no staging folder.
 */
import assert from 'node:assert/strict';
import { existsSync, mkdtempSync, readdirSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, test } from 'node:test';
import { copyImage } from '../../src/copy/index.js';
import { ImgsealError, isImgsealError } from '../../src/errors.js';
import type { Descriptor } from '../../src/model/descriptor.js';
import { parseImageName } from '../../src/transports/transports.js';
import type { ImageReference, ImageSource } from '../../src/transports/types.js';
import { buildLayout } from '../testkit/image-builder.js';

const dir = mkdtempSync(join(tmpdir(), 'imgseal-abort-'));
after(() => rmSync(dir, { recursive: true, force: true }));

test('an aborted copy rejects with the abort reason and leaves nothing behind', async () => {
  const src = join(dir, 'src');
  const img = await buildLayout(src, [{ files: { 'a.txt': 'a\n' }, compression: 'none' }, { files: { 'b.txt': 'b\n' }, compression: 'none' }], { ref: 'v1' });
  // Layer 1's read never settles, as a read blocked in the kernel (a hung mount); a
  // FIFO no longer serves, since blobs must be regular files.
  const stuck = img.layers[1]!.desc.digest;
  const real = parseImageName(`oci:${src}:v1`);
  const source: ImageReference = {
    transport: real.transport,
    toString: () => real.toString(),
    newImageDestination: (ctx) => real.newImageDestination(ctx),
    async newImageSource(ctx): Promise<ImageSource> {
      const s = await real.newImageSource(ctx);
      return new Proxy(s, {
        get(obj, key, receiver) {
          const v = Reflect.get(obj, key, receiver) as unknown;
          if (typeof v !== 'function') return v;
          if (key === 'getBlob' || key === 'getBlobBytes') {
            return (desc: Descriptor, ...rest: unknown[]) => (desc.digest === stuck ? new Promise(() => {}) : (v as (...a: unknown[]) => unknown).apply(obj, [desc, ...rest]));
          }
          return (v as (...a: unknown[]) => unknown).bind(obj);
        },
      });
    },
  };
  const dest = join(dir, 'out');
  const ac = new AbortController();
  let started = 0;
  const copy = copyImage(source, parseImageName(`oci:${dest}:v1`), {
    signal: ac.signal,
    progress: {
      blobStarted: () => {
        if (++started === 2) setTimeout(() => ac.abort(new ImgsealError('ABORTED', 'stopped by the test')), 100);
      },
      blobProgress: () => {},
      blobDone: () => {},
    },
  });
  await assert.rejects(copy, (e) => isImgsealError(e, 'ABORTED') && e.message === 'stopped by the test');
  assert.equal(existsSync(dest), false);
  assert.deepEqual(readdirSync(dir).filter((n) => n.includes('out')), [], 'no staging folder');
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
