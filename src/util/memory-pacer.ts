/**
 * Keeps the dead chunk buffers of a streamed copy from piling up.
 *
 * Every chunk of a blob is an ArrayBuffer outside the JS heap (file reads, network
 * reads, cipher output). V8 frees young ArrayBuffers in a scavenge, and starts one for
 * them only once 32 MiB are pending — twice its default semi-space, fixed at build
 * time; no flag changes it. So a copy at 600 MiB/s carries up to ~32 MiB of dead chunks
 * on top of what it really holds, a third of its memory.
 *
 * The pacer samples the isolate's external memory (ArrayBuffers and a little more)
 * every couple of MiB streamed: V8's own counter, ~0.5 µs to read, where
 * process.memoryUsage() takes ~8 µs and a syscall.
 * Above the limit it asks for a scavenge, which is cheap because our JS heap is tiny.
 * If the next sample is still above it, the buffers were promoted (a slow disk kept
 * them alive across scavenges), and only a full GC frees them. The limit is then
 * reset to what is live plus an allowance, so a copy that really holds more (many
 * parallel blobs) is not collected over and over.
 *
 * Opt-in: the CLI installs it; a library should not drive its host's GC unasked.
 */
import { getHeapStatistics, setFlagsFromString } from 'node:v8';
import { runInNewContext } from 'node:vm';

export interface MemoryPacerOptions {
  /** Bytes streamed between two samples (default 2 MiB). */
  sampleBytes?: number;
  /** External (ArrayBuffer) bytes tolerated before a collection is asked for (default 20 MiB). */
  limitBytes?: number;
  /** Headroom above what a full GC left alive (default 12 MiB). */
  allowanceBytes?: number;
  /**
   * Teach glibc's malloc to keep freed chunk memory instead of handing it back to the
   * kernel after each collection (see raiseTrimThreshold). Set by the containerd
   * decoder, whose chunks are pipe-sized; off for copies, whose 256 KiB chunks already
   * raise the threshold on their own, and where it cost ~3 MiB of peak RSS.
   */
  keepFreedChunks?: boolean;
}

export interface MemoryPacerStats {
  installed: boolean;
  minorGcs: number;
  majorGcs: number;
  /** The current limit, in bytes. */
  limit: number;
}

type GcFunction = (options: { type: 'minor' | 'major' }) => void;

let enabled = false;
/** Fetched on first need: a new V8 context costs ~2 ms and ~2 MiB, too much for `--version`. */
let gc: GcFunction | undefined;
let sample = 2 << 20;
let baseLimit = 20 << 20;
let allowance = 12 << 20;
let limit = baseLimit;
let sinceSample = 0;
/** 0: no scavenge asked for since the last sample under the limit; 1: one was; 2: and the next sample was still over. */
let scavenged: 0 | 1 | 2 = 0;
let minorGcs = 0;
let majorGcs = 0;

function obtainGc(): GcFunction | undefined {
  const exposed = (globalThis as { gc?: unknown }).gc;
  if (typeof exposed === 'function') return exposed as GcFunction;
  try {
    // The flag only adds gc() to contexts created after it is set: fetch it from one.
    setFlagsFromString('--expose-gc');
    const fn = runInNewContext('gc') as unknown;
    return typeof fn === 'function' ? (fn as GcFunction) : undefined;
  } catch {
    return undefined;
  }
}

/** Memory held outside the JS heap; ArrayBuffers are almost all of it in a copy. */
function externalBytes(): number {
  return getHeapStatistics().external_memory;
}

/** Starts pacing (the GC function itself is fetched when first needed). */
export function installMemoryPacer(options: MemoryPacerOptions = {}): void {
  enabled = true;
  sample = options.sampleBytes ?? sample;
  baseLimit = options.limitBytes ?? baseLimit;
  allowance = options.allowanceBytes ?? allowance;
  limit = baseLimit;
  allocatorWarmed = !options.keepFreedChunks;
}

/** Stops pacing (tests). */
export function uninstallMemoryPacer(): void {
  enabled = false;
}

export function memoryPacerStats(): MemoryPacerStats {
  return { installed: enabled, minorGcs, majorGcs, limit };
}

/** Set once the allocator has been taught to keep freed chunk memory (raiseTrimThreshold). */
let allocatorWarmed = true;

/**
 * glibc returns the top of its heap to the kernel whenever more than M_TRIM_THRESHOLD
 * (128 KiB at start) is free there, and a GC frees many dead chunks at once: every
 * chunk after it lands on fresh pages, a page fault per 4 KiB (the decoder saw one for
 * every page of a 256 MiB layer, ~0.2-0.4 s of system time; mallopt(3) tunables cut it
 * to a seventh). glibc raises the threshold to twice the size of the largest mmapped
 * block it frees, up to 32 MiB: one 16 MiB block, never touched and freed at once,
 * sets it to 32 MiB, above what the pacer lets pile up, so freed chunks are reused.
 * Other allocators ignore this; it costs one mmap/munmap pair and one scavenge.
 */
function raiseTrimThreshold(): void {
  allocatorWarmed = true;
  gc ??= obtainGc();
  if (!gc) return;
  void new ArrayBuffer(16 << 20); // unreferenced at once: the scavenge frees it
  gc({ type: 'minor' });
}

/** Called on the hot path with every chunk of a large blob; nearly free when not due. */
export function noteStreamedBytes(n: number): void {
  if (!enabled) return;
  if (!allocatorWarmed) raiseTrimThreshold();
  sinceSample += n;
  if (sinceSample < sample) return;
  sinceSample = 0;
  if (externalBytes() < limit) {
    scavenged = 0;
    return;
  }
  gc ??= obtainGc();
  if (!gc) {
    enabled = false; // this runtime offers no way to ask for a GC: V8 alone decides
    return;
  }
  if (scavenged === 0) {
    gc({ type: 'minor' });
    minorGcs++;
    scavenged = 1;
    return;
  }
  // V8 frees the backing stores of a scavenge on a background thread and only then
  // lowers its counter: on a busy machine the next sample can still count them. Only a
  // second sample above the limit means the buffers are really alive (or promoted).
  if (scavenged === 1) {
    scavenged = 2;
    return;
  }
  gc({ type: 'major' });
  majorGcs++;
  scavenged = 0;
  limit = Math.max(baseLimit, externalBytes() + allowance);
}
