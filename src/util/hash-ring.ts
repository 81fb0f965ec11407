/**
 * The transport between hashers on the main thread and the hash worker: a ring of
 * slots in shared memory instead of a message per chunk.
 *
 * With messages, every 256 KiB cost a structured clone, a transfer, an acknowledgement
 * back and, whenever either side was idle, a wake-up through the event loop; in the
 * containerd decoder the main thread sat idle for ~0.4 s per 256 MiB waiting on those
 * round trips while the worker had two hash passes to do. Here the main thread copies
 * a chunk into the next free slot and bumps a counter; the worker, blocked in
 * Atomics.wait only when the ring is empty, hashes the slots in order and frees them.
 * Digests come back as messages (one per blob). When the ring is full, `publish`
 * returns a promise (Atomics.waitAsync), which is the hashers' back-pressure.
 *
 * Slots are taken in order, so each operation is one slot: NEW, UPDATE (up to
 * SLOT_BYTES of data), DIGEST, DROP. Counters are 32-bit and compared by difference.
 *
 * Wake-ups are batched. The worker hashes faster than the decoder's main thread feeds
 * it, so it emptied the ring after almost every slot and went back to sleep, and each
 * next slot cost a futex wake (and, on a VM, an interrupt to the other core): ~8 000
 * per 256 MiB layer. The worker now says when it sleeps, and the producer wakes it only
 * once WAKE_AFTER slots are waiting, or at once for a DIGEST (someone awaits its
 * result); a full ring has more than WAKE_AFTER waiting, so a producer that must wait
 * for a slot has always woken the worker first.
 */
import { Worker } from 'node:worker_threads';

export const SLOT_BYTES = 128 << 10;
export const SLOTS = 16;
/** Slots waiting before a sleeping worker is woken (DIGEST wakes it at once). */
export const WAKE_AFTER = 2;

export const enum RingOp {
  New = 1,
  Update = 2,
  Digest = 3,
  Drop = 4,
}

/** Atomics.waitAsync (V8 ≥ 8.7, so every Node 20) is not in the ES2022 typings. */
const waitAsync = (Atomics as unknown as { waitAsync(a: Int32Array, i: number, v: number, t: number): { async: boolean; value: Promise<string> | string } }).waitAsync;

/**
 * Control words: the producer's count of published slots, the worker's count of
 * finished ones, and 1 while the worker is (about to be) asleep in Atomics.wait.
 */
const HEAD = 0;
const TAIL = 1;
const SLEEPING = 2;

const WORKER_SOURCE = `
const { parentPort, workerData } = require('node:worker_threads');
const { createHash } = require('node:crypto');
const { ctrl, meta, data, slots, slotBytes, algs } = workerData;
const c = new Int32Array(ctrl), m = new Int32Array(meta), d = new Uint8Array(data);
const hashes = new Map();
let tail = 0;
for (;;) {
  if (Atomics.load(c, 0) === tail) {
    // Announce the sleep, then look again: a producer that published before seeing the
    // flag is seen here (both sides use sequentially consistent atomics).
    Atomics.store(c, 2, 1);
    while (Atomics.load(c, 0) === tail) Atomics.wait(c, 0, tail);
    Atomics.store(c, 2, 0);
  }
  const s = (tail >>> 0) % slots;
  const op = m[s * 3], id = m[s * 3 + 1], arg = m[s * 3 + 2];
  if (op === 2) { const h = hashes.get(id); if (h) h.update(d.subarray(s * slotBytes, s * slotBytes + arg)); }
  else if (op === 1) hashes.set(id, createHash(algs[arg]));
  else if (op === 3) { const h = hashes.get(id); hashes.delete(id); parentPort.postMessage({ id, hex: h ? h.digest('hex') : '' }); }
  else if (op === 4) hashes.delete(id);
  tail = (tail + 1) | 0;
  Atomics.store(c, 1, tail);
  Atomics.notify(c, 1);
}
`;

export class HashRing {
  readonly worker: Worker;
  private readonly ctrl: Int32Array;
  private readonly meta: Int32Array;
  private readonly data: Uint8Array;
  private head = 0;
  /** Set when the worker died: every publish (and every wait for a slot) rejects with it. */
  failure: Error | undefined;

  constructor(algorithms: readonly string[]) {
    const ctrl = new SharedArrayBuffer(12);
    const meta = new SharedArrayBuffer(SLOTS * 3 * 4);
    const data = new SharedArrayBuffer(SLOTS * SLOT_BYTES);
    this.ctrl = new Int32Array(ctrl);
    this.meta = new Int32Array(meta);
    this.data = new Uint8Array(data);
    // The worker only hashes: a small heap is plenty, and keeps its memory out of the way.
    this.worker = new Worker(WORKER_SOURCE, {
      eval: true,
      workerData: { ctrl, meta, data, slots: SLOTS, slotBytes: SLOT_BYTES, algs: algorithms },
      resourceLimits: { maxYoungGenerationSizeMb: 2, maxOldGenerationSizeMb: 16 },
      // The worker prints nothing (its failures arrive as 'error' events). By default
      // Node pipes a worker's stdout and stderr into the process's own streams, and
      // with that a pipe on fd 1 was found non-blocking (test/util/hash-ring.test.ts):
      // the decoder's direct writes of its verified plaintext would meet EAGAIN and
      // fall back to the slower stream (node/decoder/fd-pump.ts).
      stdout: true,
      stderr: true,
    });
  }

  /** Marks the ring dead (its worker stopped): waits and later publishes reject with `err`. */
  fail(err: Error): void {
    this.failure ??= err;
  }

  /** Slots published and not yet finished by the worker. */
  private inUse(): number {
    return (this.head - Atomics.load(this.ctrl, TAIL)) | 0;
  }

  /**
   * Settles once the worker has freed a slot, or after 50 ms so that the caller looks
   * at `failure` again. The timer also keeps the event loop alive: a pending
   * Atomics.waitAsync does not, and a copy waiting on a dead worker would otherwise end
   * with the loop empty instead of failing.
   */
  private slotFreed(): Promise<unknown> {
    const tail = Atomics.load(this.ctrl, TAIL);
    if (((this.head - tail) | 0) < SLOTS) return Promise.resolve();
    const w = waitAsync(this.ctrl, TAIL, tail, 50);
    if (!w.async) return Promise.resolve();
    let timer: NodeJS.Timeout | undefined;
    return Promise.race([w.value, new Promise((resolve) => (timer = setTimeout(resolve, 60)))]).finally(() => clearTimeout(timer));
  }

  /**
   * Publishes one operation; `bytes` (at most SLOT_BYTES) is copied into the slot at
   * once when one is free. Returns a promise when the ring is full: the operation is
   * published once a slot frees up, and the promise settles then.
   */
  publish(op: RingOp, id: number, arg: number, bytes?: Uint8Array): void | Promise<void> {
    if (this.failure) return Promise.reject(this.failure);
    if (this.inUse() < SLOTS) {
      this.put(op, id, arg, bytes);
      return;
    }
    // Copy now: the caller may reuse its buffer once we return (it awaits only the promise).
    const held = bytes ? Uint8Array.prototype.slice.call(bytes) : undefined;
    return this.publishLater(op, id, arg, held);
  }

  private async publishLater(op: RingOp, id: number, arg: number, bytes?: Uint8Array): Promise<void> {
    while (this.inUse() >= SLOTS) {
      if (this.failure) throw this.failure;
      await this.slotFreed();
    }
    if (this.failure) throw this.failure;
    this.put(op, id, arg, bytes);
  }

  private put(op: RingOp, id: number, arg: number, bytes?: Uint8Array): void {
    const s = (this.head >>> 0) % SLOTS;
    if (bytes) this.data.set(bytes, s * SLOT_BYTES);
    this.meta[s * 3] = op;
    this.meta[s * 3 + 1] = id;
    this.meta[s * 3 + 2] = bytes ? bytes.byteLength : arg;
    this.head = (this.head + 1) | 0;
    Atomics.store(this.ctrl, HEAD, this.head);
    if (Atomics.load(this.ctrl, SLEEPING) === 1 && (op === RingOp.Digest || this.inUse() >= WAKE_AFTER)) Atomics.notify(this.ctrl, HEAD);
  }
}
