// The hash worker's shared-memory ring (util/hash-ring.ts): digests of interleaved
// blobs are right whatever the chunk sizes, a full ring is back-pressure (update()
// returns a promise) and never a lost or reordered chunk, and a caller may overwrite
// its buffer as soon as update() returns, even while the ring is full.
import assert from 'node:assert/strict';
import { createHash, randomBytes } from 'node:crypto';
import { test } from 'node:test';
import { SLOT_BYTES, SLOTS } from '../../src/util/hash-ring.js';
import { createStreamHasher, PARALLEL_HASH_THRESHOLD } from '../../src/util/parallel-hash.js';

const LARGE = PARALLEL_HASH_THRESHOLD * 4; // hashed on the worker

function reference(alg: 'sha256' | 'sha512', parts: Buffer[]): string {
  const h = createHash(alg);
  for (const p of parts) h.update(p);
  return `${alg}:${h.digest('hex')}`;
}

test('three interleaved blobs, chunks from 1 byte to several slots, each digest right', { timeout: 60_000 }, async () => {
  const sizes = [1, 7, 4096, SLOT_BYTES - 1, SLOT_BYTES, SLOT_BYTES + 1, 3 * SLOT_BYTES + 5, 65536];
  const blobs = (['sha256', 'sha512', 'sha256'] as const).map((alg) => ({ alg, hasher: createStreamHasher(alg, LARGE), parts: [] as Buffer[] }));
  for (let round = 0; round < 40; round++) {
    for (const [i, b] of blobs.entries()) {
      const part = randomBytes(sizes[(round + i) % sizes.length] as number);
      b.parts.push(part);
      const wait = b.hasher.update(part);
      if (wait) await wait;
    }
  }
  const digests = await Promise.all(blobs.map((b) => b.hasher.digest()));
  blobs.forEach((b, i) => assert.equal(digests[i], reference(b.alg, b.parts)));
});

test('a full ring returns a promise; the buffer may be reused at once', { timeout: 60_000 }, async () => {
  const h = createStreamHasher('sha256', LARGE);
  const reused = Buffer.alloc(SLOT_BYTES * 2);
  const rounds = SLOTS * 4;
  let waits = 0;
  try {
    // Far more than the ring holds, and faster than the worker hashes (a fill and a
    // copy per round, no hashing here): the ring must fill.
    for (let i = 0; i < rounds; i++) {
      reused.fill(i & 0xff);
      const w = h.update(reused);
      if (w) {
        waits++;
        // The caller owns its buffer again once update() returned: scribble over it.
        reused.fill(0xee);
        await w;
      }
    }
    assert.ok(waits > 0, 'the ring filled at least once');
    const expected = createHash('sha256');
    for (let i = 0; i < rounds; i++) expected.update(reused.fill(i & 0xff));
    assert.equal(await h.digest(), `sha256:${expected.digest('hex')}`);
  } finally {
    h.abandon(); // a no-op after digest(); otherwise the worker would keep the process alive
  }
});
