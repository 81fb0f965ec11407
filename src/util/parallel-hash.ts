/**
 * Hashing on a second core. A copy that encrypts or decrypts a layer hashes every
 * byte up to four times (source digest, HMAC, destination digest, diff_id); on one
 * thread SHA-256 is the bound. Large blobs therefore send their digest work to one
 * shared worker thread, while the main thread runs the cipher, the HMAC and the I/O.
 *
 * Each chunk is copied into a transferable buffer (a memcpy is far cheaper than the
 * hash); the number of bytes in flight is bounded, so memory stays constant: update()
 * returns a promise to wait on when the worker falls behind.
 */
import { Worker } from 'node:worker_threads';
import { ImgsealError } from '../errors.js';
import { Digester, type Digest, type DigestAlgorithm } from '../model/digest.js';
import { noteStreamedBytes } from './memory-pacer.js';

const WORKER_SOURCE = `
const { parentPort } = require('node:worker_threads');
const { createHash } = require('node:crypto');
const hashes = new Map();
parentPort.on('message', (m) => {
  if (m.t === 'u') {
    const h = hashes.get(m.id);
    if (h) h.update(new Uint8Array(m.b, 0, m.n));
    parentPort.postMessage({ t: 'a', id: m.id, n: m.n, b: m.b }, [m.b]);
  } else if (m.t === 'n') {
    hashes.set(m.id, createHash(m.alg));
  } else if (m.t === 'd') {
    const h = hashes.get(m.id);
    hashes.delete(m.id);
    if (h) parentPort.postMessage({ t: 'd', id: m.id, hex: h.digest('hex') });
  } else if (m.t === 'x') {
    hashes.delete(m.id);
  }
});
`;

/** Bytes one hash may have in flight before update() asks the caller to wait. */
const MAX_IN_FLIGHT = 1 << 20;
/**
 * Chunks are packed into pooled 256 KiB buffers (network reads arrive in 16–64 KiB
 * pieces) that the worker hands back with its acknowledgement, so a copy of any size
 * allocates nothing per chunk, and the memory in flight — counted in whole buffers —
 * stays bounded.
 */
const POOL_BUFFER = 256 << 10;
const pool: ArrayBuffer[] = [];

function takeBuffer(): ArrayBuffer {
  return pool.pop() ?? new ArrayBuffer(POOL_BUFFER);
}

function giveBack(b: ArrayBuffer | undefined): void {
  if (b && b.byteLength === POOL_BUFFER && pool.length < 16) pool.push(b);
}
/** Below this size a blob is hashed inline: the worker round trip would cost more. */
export const PARALLEL_HASH_THRESHOLD = 4 << 20;

interface Pending {
  inFlight: number;
  drain?: () => void;
  done?: (hex: string) => void;
  /** Set when the worker died: every wait of this hash rejects with it. */
  failed?: Error;
  fail?: (err: Error) => void;
}

let worker: Worker | undefined;
let users = 0;
let nextId = 1;
const pending = new Map<number, Pending>();

function getWorker(): Worker {
  if (!worker) {
    // The worker only hashes: a small heap is plenty, and keeps its memory out of the way.
    worker = new Worker(WORKER_SOURCE, { eval: true, resourceLimits: { maxYoungGenerationSizeMb: 2, maxOldGenerationSizeMb: 16 } });
    worker.unref();
    worker.on('message', (m: { t: string; id: number; n?: number; hex?: string; b?: ArrayBuffer }) => {
      giveBack(m.b);
      const p = pending.get(m.id);
      if (!p) return;
      if (m.t === 'a') {
        p.inFlight -= POOL_BUFFER;
        if (p.inFlight <= MAX_IN_FLIGHT / 2 && p.drain) {
          const d = p.drain;
          p.drain = undefined;
          d();
        }
      } else if (m.t === 'd') {
        pending.delete(m.id);
        p.done?.(m.hex ?? '');
      }
    });
    const w = worker;
    // A worker that dies (out of memory, killed) answers no one: fail every pending
    // hash, or their streams wait for ever and the copy hangs instead of failing.
    const died = (why: string): void => {
      if (worker === w) worker = undefined;
      const err = new ImgsealError('INTERNAL', `the hash worker thread stopped (${why}); the copy cannot verify digests`);
      for (const p of pending.values()) {
        p.failed = err;
        p.fail?.(err);
      }
      pending.clear();
    };
    w.on('error', (e) => died(e.message));
    w.on('exit', (code) => died(`exit code ${code}`));
  }
  return worker;
}

/** Ends the hash worker thread (it is started again on demand); pending hashes fail. */
export async function stopHashWorker(): Promise<void> {
  await worker?.terminate();
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
  private readonly state: Pending = { inFlight: 0 };
  private bytes = 0;
  private finished = false;
  private current: ArrayBuffer | undefined;
  private used = 0;

  constructor(readonly algorithm: DigestAlgorithm) {
    users++;
    pending.set(this.id, this.state);
    getWorker().ref();
    getWorker().postMessage({ t: 'n', id: this.id, alg: algorithm });
  }

  get size(): number {
    return this.bytes;
  }

  update(chunk: Uint8Array): void | Promise<void> {
    if (this.state.failed) return this.failedWait();
    let off = 0;
    while (off < chunk.byteLength) {
      this.current ??= takeBuffer();
      const n = Math.min(POOL_BUFFER - this.used, chunk.byteLength - off);
      new Uint8Array(this.current, this.used, n).set(chunk.subarray(off, off + n));
      this.used += n;
      off += n;
      if (this.used === POOL_BUFFER) this.post();
    }
    this.bytes += chunk.byteLength;
    // Every byte of every large blob passes here once per hash: the place to pace GC.
    noteStreamedBytes(chunk.byteLength);
    if (this.state.inFlight > MAX_IN_FLIGHT) return this.wait((resolve) => (this.state.drain = resolve));
  }

  /** A promise settled by `arm`'s callback, or rejected when the worker dies first. */
  private wait<T>(arm: (resolve: (v: T) => void) => void): Promise<T> {
    if (this.state.failed) return this.failedWait();
    return new Promise<T>((resolve, reject) => {
      this.state.fail = (err) => {
        this.release();
        reject(err);
      };
      arm(resolve);
    });
  }

  private post(): void {
    if (!this.current || this.used === 0 || this.state.failed) return;
    const b = this.current;
    getWorker().postMessage({ t: 'u', id: this.id, b, n: this.used }, [b]);
    this.state.inFlight += POOL_BUFFER;
    this.current = undefined;
    this.used = 0;
  }

  private failedWait<T>(): Promise<T> {
    this.release();
    return Promise.reject(this.state.failed as Error);
  }

  digest(): Promise<Digest> {
    if (this.state.failed) return this.failedWait();
    this.post();
    return this.wait<Digest>((resolve) => {
      this.state.done = (hex) => {
        this.release();
        resolve(`${this.algorithm}:${hex}`);
      };
      getWorker().postMessage({ t: 'd', id: this.id });
    });
  }

  abandon(): void {
    if (this.finished) return;
    pending.delete(this.id);
    worker?.postMessage({ t: 'x', id: this.id });
    this.release();
  }

  private release(): void {
    giveBack(this.current);
    this.current = undefined;
    if (this.finished) return;
    this.finished = true;
    users--;
    if (users === 0) worker?.unref();
  }
}

/** A hasher for a blob of `expectedSize` bytes (unknown: -1/undefined → treated as large). */
export function createStreamHasher(algorithm: DigestAlgorithm = 'sha256', expectedSize?: number): StreamHasher {
  if (process.env.IMGSEAL_INLINE_HASH === '1') return new InlineHasher(algorithm);
  if (expectedSize !== undefined && expectedSize >= 0 && expectedSize < PARALLEL_HASH_THRESHOLD) return new InlineHasher(algorithm);
  return new WorkerHasher(algorithm);
}
