/**
 * The GC pacer bounds the ArrayBuffer memory of a stream of short-lived chunks, and
 * backs off (one full GC, then a higher limit) when that memory is really in use.
 * Each test file runs in its own process, so installing the pacer here affects nothing else.
 */
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { installMemoryPacer, memoryPacerStats, noteStreamedBytes, uninstallMemoryPacer } from '../../src/util/memory-pacer.js';

const MiB = 1 << 20;
const CHUNK = 256 << 10;

/** Streams `total` bytes of 256 KiB chunks that die at once (as a copy's chunks do); returns the peak ArrayBuffer total. */
async function stream(total: number): Promise<number> {
  let peak = 0;
  for (let done = 0; done < total; done += CHUNK) {
    const chunk = Buffer.allocUnsafeSlow(CHUNK);
    chunk[0] = 1;
    noteStreamedBytes(chunk.length);
    peak = Math.max(peak, process.memoryUsage().arrayBuffers);
    if (done % (16 * MiB) === 0) await new Promise((resolve) => setImmediate(resolve));
  }
  return peak;
}

test('dead chunks are collected before they pile up', async () => {
  installMemoryPacer({ sampleBytes: 2 * MiB, limitBytes: 8 * MiB, allowanceBytes: 4 * MiB });
  assert.equal(memoryPacerStats().installed, true);
  const before = memoryPacerStats();
  const peak = await stream(256 * MiB);
  const after = memoryPacerStats();
  assert.ok(after.minorGcs - before.minorGcs >= 10, `scavenges asked for: ${after.minorGcs - before.minorGcs}`);
  // limit + one sample of chunks + slack; V8 alone lets ~32 MiB of them pile up
  assert.ok(peak < 16 * MiB, `peak ArrayBuffer memory ${(peak / MiB).toFixed(1)} MiB`);
  uninstallMemoryPacer();
});

test('memory that is really in use raises the limit instead of collecting again and again', async () => {
  installMemoryPacer({ sampleBytes: 2 * MiB, limitBytes: 8 * MiB, allowanceBytes: 4 * MiB });
  const live = Array.from({ length: 96 }, () => Buffer.allocUnsafeSlow(CHUNK)); // 24 MiB held
  const before = memoryPacerStats();
  await stream(128 * MiB);
  const after = memoryPacerStats();
  assert.ok(after.majorGcs - before.majorGcs >= 1, 'one full GC to learn what is live');
  // Without the back-off every third sample of the 64 would be a full GC (~21); a busy
  // machine's late freeing of scavenged chunks can cost one or two more than the ideal 1.
  assert.ok(after.majorGcs - before.majorGcs <= 6, `full GCs: ${after.majorGcs - before.majorGcs}`);
  assert.ok(after.limit >= 24 * MiB, `limit ${(after.limit / MiB).toFixed(1)} MiB`);
  assert.equal(live.length, 96);
  uninstallMemoryPacer();
});

test('without the pacer nothing is collected on its account', async () => {
  uninstallMemoryPacer();
  const before = memoryPacerStats();
  await stream(32 * MiB);
  assert.deepEqual(memoryPacerStats(), { ...before, installed: false });
});
