/**
 * The file-to-file path of a blob copy: when the source offers positioned reads
 * (openBlobReader) and the destination pulls chunks (putBlobChunks), the blob moves
 * through the steps' chunk interface instead of a chain of streams. Three read buffers
 * are reused for the whole blob (the read of the next chunk overlaps the work on this
 * one and the write of the one before), so a copy allocates nothing per read; the
 * steps run in one call per chunk. The guarantees are the stream path's: every step
 * decides its checks in finishChunks, and `next()` answers null (the end the
 * destination commits on) only after all of them passed.
 */
import type { Transform } from 'node:stream';
import { abortedError } from '../util/abort.js';
import type { BlobChunks, BlobReader } from '../transports/types.js';
import { finishSteps, throughSteps, type ChunkStep } from './steps/chunk-step.js';

/** Bytes per read: large enough that per-chunk costs vanish, small enough for the cipher and hashes to work in cache. */
export const PUMP_CHUNK = 256 << 10;

export class BlobPump implements BlobChunks {
  private readonly buffers: Buffer[];
  /** Reads issued so far; read i goes into buffers[i % 3]. */
  private reads = 0;
  private position = 0;
  private reading: Promise<number> | undefined;
  private readonly tails: Buffer[] = [];
  private finished = false;
  /** The first failure of the source or a step: decides which side a failed attempt blames. */
  failure: unknown;

  constructor(
    private readonly reader: BlobReader,
    private readonly steps: readonly (Transform & ChunkStep)[],
    private readonly signal?: AbortSignal,
    chunkSize = PUMP_CHUNK,
  ) {
    this.buffers = [Buffer.allocUnsafeSlow(chunkSize), Buffer.allocUnsafeSlow(chunkSize), Buffer.allocUnsafeSlow(chunkSize)];
  }

  async next(): Promise<Buffer | null> {
    try {
      return await this.pull();
    } catch (err) {
      this.failure ??= err;
      throw err;
    }
  }

  /** Waits for a read still under way (the fd must outlive it), then closes the reader. */
  async close(): Promise<void> {
    await this.reading?.catch(() => {});
    this.reading = undefined;
    await this.reader.close();
  }

  /** Abandons the steps after a failure (releases their hashers and decompressors). */
  abandon(): void {
    for (const s of this.steps) s.destroy();
  }

  private async pull(): Promise<Buffer | null> {
    if (this.signal?.aborted) throw abortedError(this.signal);
    for (;;) {
      const tail = this.tails.shift();
      if (tail) return tail;
      if (this.finished) return null;
      this.reading ??= this.issueRead();
      const n = await this.reading;
      this.reading = undefined;
      if (n === 0) {
        await this.finish();
        continue;
      }
      const buffer = this.buffers[(this.reads - 1) % 3] as Buffer;
      this.position += n;
      // Read ahead into the buffer whose chunk the destination released (see BlobChunks).
      this.reading = this.issueRead();
      // A failed read-ahead is seen when it is awaited; until then it must not count as unhandled.
      this.reading.catch(() => {});
      const out = await throughSteps(this.steps, buffer.subarray(0, n));
      if (out.length > 0) return out;
    }
  }

  private issueRead(): Promise<number> {
    const buffer = this.buffers[this.reads % 3] as Buffer;
    this.reads++;
    return this.reader.read(buffer, buffer.length, this.position);
  }

  /** Every step's verdict, in order; what a step still held goes through the steps after it. */
  private async finish(): Promise<void> {
    await finishSteps(this.steps, (tail) => {
      this.tails.push(tail);
    });
    this.finished = true;
  }
}
