/**
 * A pipeline step that can also be driven chunk by chunk, without a stream around it.
 * Every step of the copy pipeline is a Transform (for sources and destinations that
 * speak streams) and a ChunkStep (for the file-to-file path of copy/pump-blob.ts, where
 * the stream machinery cost more CPU than the cipher).
 *
 * Buffers: the chunk given to `processChunk` may be a read buffer that its owner
 * reuses once the chunk (or what the step returned for it) has been consumed
 * downstream. A step that keeps bytes beyond that (a decompressor's queue) copies them.
 */
import type { Transform } from 'node:stream';

export interface ChunkStep {
  /** What this step passes on for `chunk`: the same buffer, or a new one. Throws (or rejects) to fail the copy. */
  processChunk(chunk: Buffer): Buffer | Promise<Buffer>;
  /**
   * After the last chunk: decides the step's checks (throws on a failure) and returns
   * the bytes it still held, if any. Nothing is released before every step has finished.
   */
  finishChunks(): Buffer | undefined | Promise<Buffer | undefined>;
}

export function isChunkStep(step: Transform): step is Transform & ChunkStep {
  const s = step as Partial<ChunkStep>;
  return typeof s.processChunk === 'function' && typeof s.finishChunks === 'function';
}

/** Runs `chunk` through steps[from..] and returns what the last one passed on. */
export async function throughSteps(steps: readonly ChunkStep[], chunk: Buffer, from = 0): Promise<Buffer> {
  let c = chunk;
  for (let i = from; i < steps.length; i++) {
    const r = (steps[i] as ChunkStep).processChunk(c);
    c = r instanceof Promise ? await r : r;
  }
  return c;
}

/**
 * After the last chunk: every step's verdict, in order (the first failure throws);
 * what a step still held goes through the steps after it and then to `tail`.
 */
export async function finishSteps(steps: readonly ChunkStep[], tail: (bytes: Buffer) => void | Promise<void>): Promise<void> {
  for (let i = 0; i < steps.length; i++) {
    const held = await (steps[i] as ChunkStep).finishChunks();
    if (held && held.length > 0) await tail(await throughSteps(steps, held, i + 1));
  }
}
