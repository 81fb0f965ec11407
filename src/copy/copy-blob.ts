/**
 * Moving one blob through the pipeline's steps: source → [verify source digest] →
 * [decrypt | encrypt] → [progress] → destination. The destination hashes what it
 * stores; each step that changes bytes invalidates the source digest, so the
 * destination's computed digest is what the new descriptor gets.
 */
import { PASS_HIGH_WATER_MARK } from './steps/buffering.js';
import { pipeline } from 'node:stream/promises';
import { PassThrough, Readable, Writable, type Transform } from 'node:stream';
import { ImgsealError } from '../errors.js';
import { SMALL_BLOB_LIMIT } from '../util/limits.js';
import { abortedError, raceAbort } from '../util/abort.js';
import type { Descriptor } from '../model/descriptor.js';
import type { BlobReader, ImageDestination, ImageSource, PutBlobInfo, PutBlobResult } from '../transports/types.js';
import { BlobPump } from './pump-blob.js';
import { isChunkStep, type ChunkStep } from './steps/chunk-step.js';
import type { BlobAction, ProgressSink } from './progress.js';
import { ProgressStep } from './steps/progress.js';
import { DigestVerifier, verifyBlobBytes } from './steps/verify-digest.js';

/**
 * Blobs up to this size move as whole buffers when both ends can (getBlobBytes /
 * putBlobBytes): for a tiny layer the stream machinery costs more than the bytes.
 * Memory stays bounded: the copy runs at most 16 blobs at once (copy/limit.ts).
 */
export const WHOLE_BLOB_MAX = SMALL_BLOB_LIMIT;

export interface BlobTransfer {
  src: ImageSource;
  dest: ImageDestination;
  desc: Descriptor;
  /**
   * Makes the steps after source verification (decrypt, plaintext checks, encrypt).
   * A factory, because a retried transfer needs fresh, stateful steps.
   */
  steps: () => Transform[];
  /** What the destination should expect; digest only when the bytes are unchanged or known. */
  info: PutBlobInfo;
  action: BlobAction;
  progress: ProgressSink;
  what: string;
  /** Whole-blob restarts after the destination failed mid-stream (default 0). */
  retries?: number;
  signal?: AbortSignal;
}

/** Which side of one attempt failed: only a destination failure is worth a retry. */
class AttemptFailure {
  constructor(
    readonly error: unknown,
    readonly side: 'source' | 'destination',
  ) {}
}

/** Destination failures worth restarting the blob for: the source can always be re-read. */
const RETRYABLE: ReadonlySet<string> = new Set(['NETWORK_ERROR', 'REGISTRY_ERROR', 'TOO_MANY_REQUESTS']);

export async function transferBlob(t: BlobTransfer): Promise<PutBlobResult> {
  t.progress.blobStarted(t.desc, t.action);
  for (let attempt = 0; ; attempt++) {
    try {
      // On abort, stop waiting at once: streams are destroyed through the signal, but a
      // read blocked in the kernel (a FIFO, a hung mount) would otherwise hold cleanup.
      const result = await raceAbort(transferOnce(t), t.signal);
      t.progress.blobDone(t.desc, t.action);
      return result;
    } catch (err) {
      if (t.signal?.aborted) throw abortedError(t.signal);
      const { error, side } = err instanceof AttemptFailure ? err : new AttemptFailure(err, 'source');
      if (side === 'destination' && attempt < (t.retries ?? 0) && error instanceof ImgsealError && RETRYABLE.has(error.code)) {
        t.progress.note?.(`${t.what}: ${error.message}; sending the blob again (${attempt + 1}/${t.retries})`);
        continue;
      }
      t.progress.blobFailed?.(t.desc, error);
      throw labelled(error, t.what);
    }
  }
}

/**
 * One attempt. Rejects with an AttemptFailure: which side failed decides whether a
 * retry can help (a failed check of the data never can).
 */
async function transferOnce(t: BlobTransfer): Promise<PutBlobResult> {
  if (t.desc.size <= WHOLE_BLOB_MAX && t.src.getBlobBytes && t.dest.putBlobBytes) return transferWhole(t);
  const steps = t.steps();
  // A blob copied unchanged is verified by the destination itself (it must reject a
  // digest other than info.digest before committing), so it is hashed once, not twice.
  const destinationVerifies = steps.length === 0 && t.info.digest === t.desc.digest && t.info.size === t.desc.size;
  const chain: Transform[] = [new ProgressStep(t.progress, t.desc), ...(destinationVerifies ? [] : [new DigestVerifier(t.desc.digest, t.desc.size, t.what)]), ...steps];
  if (t.src.openBlobReader && t.dest.putBlobChunks && chain.every(isChunkStep)) return transferPumped(t, chain as (Transform & ChunkStep)[]);
  let input: Readable;
  try {
    input = await t.src.getBlob(t.desc, t.signal ? { signal: t.signal } : {});
  } catch (error) {
    for (const s of chain) s.destroy();
    throw new AttemptFailure(error, 'source');
  }
  // The destination consumes one stream; connecting the steps here keeps errors from
  // any of them flowing to it (so it discards what it staged) and to us.
  const out = new PassThrough({ highWaterMark: PASS_HIGH_WATER_MARK });
  // Wait for both sides, so that the destination has cleaned up before we report.
  const [put, flow] = await Promise.allSettled([
    t.dest.putBlob(out, t.info, t.signal ? { signal: t.signal } : {}),
    pipeline([input, ...chain, out], t.signal ? { signal: t.signal } : {}).catch((err: unknown) => {
      out.destroy(err as Error);
      throw err;
    }),
  ]);
  // The first cause wins: a failed check in the steps (an ImgsealError from the flow)
  // over what the destination then saw; a destination failure over the raw stream
  // errors (aborts, resets) it caused upstream.
  if (flow.status === 'rejected' && flow.reason instanceof ImgsealError) throw new AttemptFailure(flow.reason, 'source');
  if (put.status === 'rejected') throw new AttemptFailure(put.reason, 'destination');
  if (flow.status === 'rejected') throw new AttemptFailure(flow.reason, 'source');
  return put.value;
}

/** One attempt on the file-to-file path (copy/pump-blob.ts): the same steps, driven chunk by chunk. */
async function transferPumped(t: BlobTransfer, chain: (Transform & ChunkStep)[]): Promise<PutBlobResult> {
  let reader: BlobReader;
  try {
    reader = await (t.src.openBlobReader as NonNullable<ImageSource['openBlobReader']>).call(t.src, t.desc);
  } catch (error) {
    for (const s of chain) s.destroy();
    throw new AttemptFailure(error, 'source');
  }
  const pump = new BlobPump(reader, chain, t.signal);
  try {
    return await (t.dest.putBlobChunks as NonNullable<ImageDestination['putBlobChunks']>).call(t.dest, pump, t.info, t.signal ? { signal: t.signal } : {});
  } catch (error) {
    pump.abandon();
    // A failed read or check (the pump's own failure) comes first, as in the stream path.
    if (pump.failure !== undefined) throw new AttemptFailure(pump.failure, 'source');
    throw new AttemptFailure(error, 'destination');
  } finally {
    await pump.close().catch(() => {});
  }
}

/**
 * One attempt for a small blob, as bytes: the same checks in the same order as the
 * streaming path (source digest, then the steps with their own verification, then
 * the destination's), without a stream per stage.
 */
async function transferWhole(t: BlobTransfer): Promise<PutBlobResult> {
  const opts = t.signal ? { signal: t.signal } : {};
  let bytes: Buffer;
  try {
    bytes = await (t.src.getBlobBytes as NonNullable<ImageSource['getBlobBytes']>).call(t.src, t.desc, opts);
    t.progress.blobProgress(t.desc, bytes.length);
    const steps = t.steps();
    const destinationVerifies = steps.length === 0 && t.info.digest === t.desc.digest && t.info.size === t.desc.size;
    if (!destinationVerifies) verifyBlobBytes(bytes, t.desc.digest, t.desc.size, t.what);
    if (steps.length > 0) bytes = await throughSteps(bytes, steps);
  } catch (error) {
    throw new AttemptFailure(error, 'source');
  }
  try {
    return await (t.dest.putBlobBytes as NonNullable<ImageDestination['putBlobBytes']>).call(t.dest, bytes, t.info, opts);
  } catch (error) {
    throw new AttemptFailure(error, 'destination');
  }
}

/** Runs a small blob through the steps (decrypt, verify, encrypt) and collects the result. */
async function throughSteps(bytes: Buffer, steps: Transform[]): Promise<Buffer> {
  const out: Buffer[] = [];
  const collect = new Writable({
    write(chunk: Buffer, _enc, cb) {
      out.push(chunk);
      cb();
    },
  });
  await pipeline([Readable.from([bytes], { objectMode: false }), ...steps, collect]);
  return out.length === 1 ? (out[0] as Buffer) : Buffer.concat(out);
}

/** Every failure names the blob it happened to, once. */
function labelled(err: unknown, what: string): unknown {
  if (!(err instanceof ImgsealError) || err.message.startsWith(what)) return err;
  return new ImgsealError(err.code, `${what}: ${err.message}`, { cause: err });
}
