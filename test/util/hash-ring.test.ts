// The hash worker's shared-memory ring (util/hash-ring.ts): digests of interleaved
// blobs are right whatever the chunk sizes, a full ring is back-pressure (update()
// returns a promise) and never a lost or reordered chunk, and a caller may overwrite
// its buffer as soon as update() returns, even while the ring is full.
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { createHash, randomBytes } from 'node:crypto';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { test } from 'node:test';
import { SLOT_BYTES, SLOTS, WAKE_AFTER } from '../../src/util/hash-ring.js';
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

// Wake-ups are batched (util/hash-ring.ts): a sleeping worker is woken once WAKE_AFTER
// slots wait, or at once by a DIGEST. A blob shorter than that, published while the
// worker sleeps, must still get its digest (without the DIGEST wake-up this hangs).
test('a blob of fewer slots than WAKE_AFTER, sent to a sleeping worker, is digested', { timeout: 20_000 }, async () => {
  // An empty blob is NEW then DIGEST: one slot waits when the DIGEST is published.
  assert.ok(WAKE_AFTER >= 2, 'the test needs the DIGEST to arrive below the wake-up threshold');
  for (const size of [0, 0, 1000]) {
    const h = createStreamHasher('sha256', LARGE);
    // Long enough for the worker to have emptied the ring and gone to sleep.
    await new Promise((resolve) => setTimeout(resolve, 50));
    const part = randomBytes(size);
    if (size > 0) {
      const w = h.update(part);
      if (w) await w;
    }
    assert.equal(await h.digest(), reference('sha256', [part]));
  }
});

// The decoder writes its verified plaintext straight to fd 1 and must not find it made
// non-blocking by the hash worker (Node pipes a worker's stdout into process.stdout by
// default, which opens that handle, and libuv switches a pipe to O_NONBLOCK).
test('starting the hash worker leaves a pipe on fd 1 blocking', { timeout: 60_000 }, () => {
  const moduleUrl = new URL('../../src/util/parallel-hash.js', import.meta.url).href;
  const script = `
    import { readFileSync } from 'node:fs';
    const { createStreamHasher } = await import(${JSON.stringify(moduleUrl)});
    const h = createStreamHasher('sha256', ${LARGE});
    await h.update(Buffer.alloc(1 << 20));
    const digest = await h.digest();
    const flags = /^flags:\\s+([0-7]+)$/m.exec(readFileSync('/proc/self/fdinfo/1', 'utf8'))[1];
    process.stderr.write(JSON.stringify({ digest, nonblocking: (parseInt(flags, 8) & 0o4000) !== 0 }));
  `;
  const dir = mkdtempSync(join(tmpdir(), 'imgseal-ring-fd1-'));
  const file = join(dir, 'probe.mjs');
  writeFileSync(file, script);
  const r = spawnSync(process.execPath, [file], { env: { ...process.env, IMGSEAL_INLINE_HASH: '0' }, stdio: ['ignore', 'pipe', 'pipe'], encoding: 'utf8' });
  rmSync(dir, { recursive: true, force: true });
  assert.equal(r.status, 0, r.stderr);
  const out = JSON.parse(r.stderr) as { digest: string; nonblocking: boolean };
  assert.equal(out.digest, `sha256:${createHash('sha256').update(Buffer.alloc(1 << 20)).digest('hex')}`, 'the worker hashed');
  assert.equal(out.nonblocking, false, 'fd 1 is still a blocking pipe');
});
