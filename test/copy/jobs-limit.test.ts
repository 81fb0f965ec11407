// Issue 12, defect 10: `jobs` bounds every blob of a copy, small ones included, and a
// destination's maxParallelBlobs is never exceeded (small blobs used to run 16 at once
// whatever was asked).
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, test } from 'node:test';
import { copyImage } from '../../src/copy/index.js';
import { parseImageName } from '../../src/transports/transports.js';
import type { ImageDestination, ImageReference } from '../../src/transports/types.js';
import { buildLayout } from '../testkit/image-builder.js';
import { readImage } from '../testkit/image-reader.js';

let tmp: string;
let src: string;
const LAYERS = 12;
before(async () => {
  tmp = mkdtempSync(join(tmpdir(), 'imgseal-jobs-'));
  src = join(tmp, 'src');
  await buildLayout(
    src,
    Array.from({ length: LAYERS }, (_, i) => ({ files: { [`f${i}.txt`]: `layer ${i}\n` }, compression: 'gzip' as const })),
    { ref: 'v1' },
  );
});
after(() => rmSync(tmp, { recursive: true, force: true }));

let counter = 0;

/** An oci: destination that reports `maxParallelBlobs` and records the most blob writes at once. */
function watchedDestination(maxParallelBlobs?: number): { ref: ImageReference; peak: () => number; dir: string } {
  const dir = join(tmp, `dest-${counter++}`);
  const real = parseImageName(`oci:${dir}:v1`);
  let active = 0;
  let peak = 0;
  const ref: ImageReference = {
    transport: real.transport,
    toString: () => real.toString(),
    newImageSource: (ctx) => real.newImageSource(ctx),
    async newImageDestination(ctx): Promise<ImageDestination> {
      const dest = await real.newImageDestination(ctx);
      return new Proxy(dest, {
        get(obj, key, receiver) {
          if (key === 'maxParallelBlobs' && maxParallelBlobs !== undefined) return maxParallelBlobs;
          const v = Reflect.get(obj, key, receiver) as unknown;
          if ((key !== 'putBlob' && key !== 'putBlobBytes') || typeof v !== 'function') return typeof v === 'function' ? v.bind(obj) : v;
          return async (...args: unknown[]) => {
            active++;
            peak = Math.max(peak, active);
            try {
              await new Promise((r) => setTimeout(r, 40)); // long enough for the others to start
              return await (v as (...a: unknown[]) => Promise<unknown>).apply(obj, args);
            } finally {
              active--;
            }
          };
        },
      });
    },
  };
  return { ref, peak: () => peak, dir };
}

for (const jobs of [1, 2, 3]) {
  test(`jobs ${jobs}: at most ${jobs} blobs (all of them small) written at once`, async () => {
    const w = watchedDestination();
    await copyImage(parseImageName(`oci:${src}:v1`), w.ref, { jobs });
    assert.ok(w.peak() >= 1 && w.peak() <= jobs, `peak ${w.peak()} with jobs ${jobs}`);
    assert.equal(Object.keys((await readImage(w.dir, 'v1')).files).length, LAYERS);
  });
}

test("without jobs, a destination's maxParallelBlobs bounds small blobs too", async () => {
  const w = watchedDestination(3);
  await copyImage(parseImageName(`oci:${src}:v1`), w.ref);
  assert.ok(w.peak() <= 3, `peak ${w.peak()}`);
  assert.ok(w.peak() >= 2, `still parallel: peak ${w.peak()}`);
});

test('jobs above the destination maximum is held to the maximum', async () => {
  const w = watchedDestination(2);
  await copyImage(parseImageName(`oci:${src}:v1`), w.ref, { jobs: 10 });
  assert.ok(w.peak() <= 2, `peak ${w.peak()}`);
});

test('without limits asked for, small blobs still go many at once', async () => {
  const w = watchedDestination();
  await copyImage(parseImageName(`oci:${src}:v1`), w.ref);
  assert.ok(w.peak() >= 4, `peak ${w.peak()}`);
});
