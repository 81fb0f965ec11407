/**
 * Hashing on a second core. A copy that encrypts or decrypts a layer hashes every
 * byte up to four times (source digest, HMAC, destination digest, diff_id); on one
 * thread SHA-256 is the bound. Large blobs therefore send their digest work to one
 * shared worker thread, while the main thread runs the cipher, the HMAC and the I/O.
 *
 * Each chunk is copied into a slot of a ring in shared memory (util/hash-ring.ts; a
 * memcpy is far cheaper than the hash); the ring bounds the bytes in flight, so memory
 * stays constant: update() returns a promise to wait on when the worker falls behind.
 */
import { ImgsealError } from '../errors.js';
import { Digester, type Digest, type DigestAlgorithm } from '../model/digest.js';
import { HashRing, RingOp, SLOT_BYTES } from './hash-ring.js';
import { noteStreamedBytes } from './memory-pacer.js';

const ALGORITHMS: readonly DigestAlgorithm[] = ['sha256', 'sha512'];

/** Below this size a blob is hashed inline: the worker round trip would cost more. */
export const PARALLEL_HASH_THRESHOLD = 4 << 20;

interface Pending {
  done: (hex: string) => void;
  fail: (err: Error) => void;
}

let ring: HashRing | undefined;
let users = 0;
let nextId = 1;
const pending = new Map<number, Pending>();

function getRing(): HashRing {
  if (!ring) {
    const r = new HashRing(ALGORITHMS);
    ring = r;
    r.worker.unref();
    r.worker.on('message', (m: { id: number; hex: string }) => {
      const p = pending.get(m.id);
      pending.delete(m.id);
      p?.done(m.hex);
    });
    // A worker that dies (out of memory, killed) answers no one: fail every pending
    // hash, or their streams wait for ever and the copy hangs instead of failing.
    const died = (why: string): void => {
      if (ring !== r) return;
      ring = undefined;
      const err = new ImgsealError('INTERNAL', `the hash worker thread stopped (${why}); the copy cannot verify digests`);
      r.fail(err);
      for (const p of pending.values()) p.fail(err);
      pending.clear();
    };
    r.worker.on('error', (e) => died(e.message));
    r.worker.on('exit', (code) => died(`exit code ${code}`));
  }
  return ring;
}

/** Ends the hash worker thread (it is started again on demand); pending hashes fail. */
export async function stopHashWorker(): Promise<void> {
  await ring?.worker.terminate();
}

/** An incremental hash; `update` may return a promise (backpressure) that must be awaited. */
export interface StreamHasher {
  readonly algorithm: DigestAlgorithm;
  readonly size: number;
  update(chunk: Uint8Array): void | Promise<void>;
  digest(): Promise<Digest>;
  /** Releases resources when the stream is abandoned. */
  abandon(): void;
}

class InlineHasher implements StreamHasher {
  private readonly d: Digester;
  constructor(readonly algorithm: DigestAlgorithm) {
    this.d = new Digester(algorithm);
  }
  get size(): number {
    return this.d.size;
  }
  update(chunk: Uint8Array): void {
    this.d.update(chunk);
  }
  digest(): Promise<Digest> {
    return Promise.resolve(this.d.digest());
  }
  abandon(): void {}
}

class WorkerHasher implements StreamHasher {
  private readonly id = nextId++;
  private readonly ring: HashRing;
  private bytes = 0;
  private finished = false;
  /** A publish still waiting for a slot: the next one queues behind it (slots are taken in order). */
  private queued: Promise<void> | undefined;

  constructor(readonly algorithm: DigestAlgorithm) {
    this.ring = getRing();
    users++;
    this.ring.worker.ref();
    this.send(RingOp.New, ALGORITHMS.indexOf(algorithm));
  }

  get size(): number {
    return this.bytes;
  }

  update(chunk: Uint8Array): void | Promise<void> {
    if (this.ring.failure) return this.failed();
    let wait: void | Promise<void> = undefined;
    for (let off = 0; off < chunk.byteLength; off += SLOT_BYTES) {
      wait = this.send(RingOp.Update, 0, chunk.subarray(off, Math.min(off + SLOT_BYTES, chunk.byteLength)));
    }
    this.bytes += chunk.byteLength;
    // Every byte of every large blob passes here once per hash: the place to pace GC.
    noteStreamedBytes(chunk.byteLength);
    return wait;
  }

  digest(): Promise<Digest> {
    if (this.ring.failure) return this.failed();
    return new Promise<Digest>((resolve, reject) => {
      pending.set(this.id, {
        done: (hex) => {
          this.release();
          resolve(`${this.algorithm}:${hex}`);
        },
        fail: (err) => {
          this.release();
          reject(err);
        },
      });
      const sent = this.send(RingOp.Digest, 0);
      if (sent) sent.catch(reject);
    });
  }

  abandon(): void {
    if (this.finished) return;
    pending.delete(this.id);
    if (!this.ring.failure) void Promise.resolve(this.send(RingOp.Drop, 0)).catch(() => {});
    this.release();
  }

  /** One operation, in order behind any that is still waiting for a slot. */
  private send(op: RingOp, arg: number, bytes?: Uint8Array): void | Promise<void> {
    if (this.queued) {
      // Copy now: the caller may reuse its buffer as soon as this returns.
      const held = bytes ? Uint8Array.prototype.slice.call(bytes) : undefined;
      const next: Promise<void> = this.queued.then(() => this.ring.publish(op, this.id, arg, held));
      this.track(next);
      return next;
    }
    const r = this.ring.publish(op, this.id, arg, bytes);
    if (r) this.track(r);
    return r;
  }

  private track(p: Promise<void>): void {
    this.queued = p;
    p.then(
      () => {
        if (this.queued === p) this.queued = undefined;
      },
      () => {},
    );
  }

  private failed<T>(): Promise<T> {
    this.release();
    return Promise.reject(this.ring.failure as Error);
  }

  private release(): void {
    if (this.finished) return;
    this.finished = true;
    users--;
    if (users === 0) this.ring.worker.unref();
  }
}

/**
 * The smallest blob hashed on the worker: PARALLEL_HASH_THRESHOLD, or the byte count in
 * IMGSEAL_HASH_WORKER_MIN (the containerd decoder raises it: it starts once per layer,
 * and for a small layer the worker's start costs more than it saves).
 */
function workerMinBytes(): number {
  const v = process.env.IMGSEAL_HASH_WORKER_MIN;
  const n = v === undefined || v === '' ? NaN : Number(v);
  return Number.isSafeInteger(n) && n >= 0 ? n : PARALLEL_HASH_THRESHOLD;
}

/**
 * A hasher for a blob of `expectedSize` bytes (unknown: -1/undefined → treated as large).
 * IMGSEAL_INLINE_HASH=1 hashes every blob on the calling thread.
 */
export function createStreamHasher(algorithm: DigestAlgorithm = 'sha256', expectedSize?: number): StreamHasher {
  if (process.env.IMGSEAL_INLINE_HASH === '1') return new InlineHasher(algorithm);
  if (expectedSize !== undefined && expectedSize >= 0 && expectedSize < workerMinBytes()) return new InlineHasher(algorithm);
  return new WorkerHasher(algorithm);
}
