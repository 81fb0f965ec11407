/**
 * Step: check that a stream is exactly the blob a descriptor names. The check runs
 * when the stream ends (in _flush), so a mismatch fails the pipeline before the
 * destination sees the end of its input and can commit anything.
 */
import { PASS_HIGH_WATER_MARK } from './buffering.js';
import { Transform, type TransformCallback } from 'node:stream';
import { ImgsealError } from '../../errors.js';
import { digestOf, parseDigest, type Digest } from '../../model/digest.js';
import { createStreamHasher, type StreamHasher } from '../../util/parallel-hash.js';
import type { ChunkStep } from './chunk-step.js';

export class DigestVerifier extends Transform implements ChunkStep {
  private readonly hasher: StreamHasher;
  private readonly expected: Digest;
  private readonly expectedSize: number | undefined;
  private readonly what: string;

  constructor(expected: Digest, expectedSize: number | undefined, what: string) {
    super({ highWaterMark: PASS_HIGH_WATER_MARK });
    this.expected = expected;
    this.expectedSize = expectedSize;
    this.what = what;
    this.hasher = createStreamHasher(parseDigest(expected).algorithm, expectedSize);
  }

  /** Hashes `chunk` (the hasher copies what it keeps) and passes it on; a promise when the hash falls behind. */
  processChunk(chunk: Buffer): Buffer | Promise<Buffer> {
    const wait = this.hasher.update(chunk);
    if (this.expectedSize !== undefined && this.hasher.size > this.expectedSize) {
      throw new ImgsealError('SIZE_MISMATCH', `${this.what}: more than the ${this.expectedSize} bytes the manifest declares`);
    }
    return wait ? wait.then(() => chunk) : chunk;
  }

  async finishChunks(): Promise<undefined> {
    const err = mismatch(this.what, this.expected, this.expectedSize, await this.hasher.digest(), this.hasher.size);
    if (err) throw err;
    return undefined;
  }

  override _transform(chunk: Buffer, _enc: BufferEncoding, cb: TransformCallback): void {
    let out: Buffer | Promise<Buffer>;
    try {
      out = this.processChunk(chunk);
    } catch (err) {
      cb(err as Error);
      return;
    }
    // A rejected wait (the hash worker died) must fail the stream, never leave it pending.
    if (out instanceof Promise) void out.then((c) => cb(null, c), cb);
    else cb(null, out);
  }

  override _destroy(err: Error | null, cb: (error: Error | null) => void): void {
    this.hasher.abandon();
    cb(err);
  }

  override _flush(cb: TransformCallback): void {
    void this.finishChunks().then(() => cb(), cb);
  }
}

function mismatch(what: string, expected: Digest, expectedSize: number | undefined, actual: Digest, size: number): ImgsealError | null {
  if (expectedSize !== undefined && size > expectedSize) {
    return new ImgsealError('SIZE_MISMATCH', `${what}: more than the ${expectedSize} bytes the manifest declares`);
  }
  if (expectedSize !== undefined && size !== expectedSize) {
    return new ImgsealError('SIZE_MISMATCH', `${what}: ${size} bytes, the manifest declares ${expectedSize} (truncated?)`);
  }
  if (actual !== expected) {
    return new ImgsealError('DIGEST_MISMATCH', `${what}: digest mismatch: the manifest says ${expected}, the content is ${actual}`);
  }
  return null;
}

/** The same check as DigestVerifier, for a small blob read whole: throws on a mismatch. */
export function verifyBlobBytes(bytes: Uint8Array, expected: Digest, expectedSize: number | undefined, what: string): void {
  const err = mismatch(what, expected, expectedSize, digestOf(bytes, expected), bytes.byteLength);
  if (err) throw err;
}
