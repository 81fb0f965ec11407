// Issue 12, defect 10: when the hash worker thread dies, every pending digest() and
// back-pressure wait rejects (the copy fails) instead of staying pending for ever
// (the copy hung); the next hash starts a new worker.
import assert from 'node:assert/strict';
import { createHash, randomBytes } from 'node:crypto';
import { Readable, Writable } from 'node:stream';
import { pipeline } from 'node:stream/promises';
import { test } from 'node:test';
import { DigestVerifier } from '../../src/copy/steps/verify-digest.js';
import { isImgsealError } from '../../src/errors.js';
import { createStreamHasher, PARALLEL_HASH_THRESHOLD, stopHashWorker } from '../../src/util/parallel-hash.js';

const LARGE = PARALLEL_HASH_THRESHOLD * 4; // hashed on the worker

test('a pending digest() rejects when the worker dies', { timeout: 20_000 }, async () => {
  const h = createStreamHasher('sha256', LARGE);
  await h.update(randomBytes(512 << 10));
  const digest = h.digest();
  await stopHashWorker();
  await assert.rejects(digest, (e: unknown) => isImgsealError(e, 'INTERNAL') && /hash worker/.test(e.message));
});

test('a back-pressure wait rejects when the worker dies, and later calls reject at once', { timeout: 20_000 }, async () => {
  const h = createStreamHasher('sha256', LARGE);
  let wait: Promise<void> | void = undefined;
  const chunk = randomBytes(256 << 10);
  for (let i = 0; i < 64 && !wait; i++) wait = h.update(chunk);
  assert.ok(wait, 'the worker fell behind at some point (update returned a promise)');
  await stopHashWorker();
  await assert.rejects(wait, (e: unknown) => isImgsealError(e, 'INTERNAL'));
  await assert.rejects(Promise.resolve(h.update(chunk)), (e: unknown) => isImgsealError(e, 'INTERNAL'));
  await assert.rejects(h.digest(), (e: unknown) => isImgsealError(e, 'INTERNAL'));
});

test('a DigestVerifier fails its stream when the worker dies mid-blob', { timeout: 20_000 }, async () => {
  const data = randomBytes(LARGE);
  const expected = `sha256:${createHash('sha256').update(data).digest('hex')}` as const;
  let sent = 0;
  const src = new Readable({
    read() {
      if (sent >= data.length) return this.push(null);
      const piece = data.subarray(sent, sent + (1 << 20));
      sent += piece.length;
      if (sent >= data.length / 2 && sent - piece.length < data.length / 2) void stopHashWorker();
      this.push(piece);
    },
  });
  const sink = new Writable({ write: (_c, _e, cb) => cb() });
  await assert.rejects(pipeline(src, new DigestVerifier(expected, data.length, 'test blob'), sink), (e: unknown) => isImgsealError(e, 'INTERNAL'));
});

test('after a crash the next hash gets a new worker and the right digest', { timeout: 20_000 }, async () => {
  await stopHashWorker();
  const data = randomBytes(3 << 20);
  const h = createStreamHasher('sha256', LARGE);
  for (let off = 0; off < data.length; off += 1 << 20) await h.update(data.subarray(off, off + (1 << 20)));
  assert.equal(await h.digest(), `sha256:${createHash('sha256').update(data).digest('hex')}`);
});
