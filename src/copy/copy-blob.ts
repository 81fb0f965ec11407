/**
 * Moving one blob through the pipeline's steps: source → [verify source digest] →
 * [decrypt | encrypt] → [progress] → destination. The destination hashes what it
 * stores; each step that changes bytes invalidates the source digest, so the
 * destination's computed digest is what the new descriptor gets.
 */
import { STEP_HIGH_WATER_MARK } from './steps/buffering.js';
import type { Readable, Transform } from 'node:stream';
import { pipeline } from 'node:stream/promises';
import { PassThrough } from 'node:stream';
import { ImgsealError } from '../errors.js';
import type { Descriptor } from '../model/descriptor.js';
import type { ImageDestination, ImageSource, PutBlobInfo, PutBlobResult } from '../transports/types.js';
import type { BlobAction, ProgressSink } from './progress.js';
import { ProgressStep } from './steps/progress.js';
import { DigestVerifier } from './steps/verify-digest.js';

export interface BlobTransfer {
  src: ImageSource;
  dest: ImageDestination;
  desc: Descriptor;
  /** Steps after source verification (decrypt, plaintext checks, encrypt). */
  steps: Transform[];
  /** What the destination should expect; digest only when the bytes are unchanged or known. */
  info: PutBlobInfo;
  action: BlobAction;
  progress: ProgressSink;
  what: string;
  signal?: AbortSignal;
}

export async function transferBlob(t: BlobTransfer): Promise<PutBlobResult> {
  t.progress.blobStarted(t.desc, t.action);
  try {
    const input = await t.src.getBlob(t.desc, t.signal ? { signal: t.signal } : {});
    // A blob copied unchanged is verified by the destination itself (it must reject a
    // digest other than info.digest before committing), so it is hashed once, not twice.
    const destinationVerifies = t.steps.length === 0 && t.info.digest === t.desc.digest && t.info.size === t.desc.size;
    const chain: Transform[] = [new ProgressStep(t.progress, t.desc), ...(destinationVerifies ? [] : [new DigestVerifier(t.desc.digest, t.desc.size, t.what)]), ...t.steps];
    // The destination consumes one stream; connecting the steps here keeps errors from
    // any of them flowing to it (so it discards what it staged) and to us.
    const out = new PassThrough({ highWaterMark: STEP_HIGH_WATER_MARK });
    // Wait for both sides, so that the destination has cleaned up before we report.
    const [put, flow] = await Promise.allSettled([
      t.dest.putBlob(out, t.info, t.signal ? { signal: t.signal } : {}),
      pipeline([input as Readable, ...chain, out]).catch((err: unknown) => {
        out.destroy(err as Error);
        throw err;
      }),
    ]);
    if (flow.status === 'rejected' && !(put.status === 'rejected' && isPrematureClose(flow.reason))) throw flow.reason;
    if (put.status === 'rejected') throw put.reason;
    const result = put.value;
    t.progress.blobDone(t.desc, t.action);
    return result;
  } catch (err) {
    t.progress.blobFailed?.(t.desc, err);
    throw labelled(err, t.what);
  }
}

/** Every failure names the blob it happened to, once. */
function labelled(err: unknown, what: string): unknown {
  if (!(err instanceof ImgsealError) || err.message.startsWith(what)) return err;
  return new ImgsealError(err.code, `${what}: ${err.message}`, { cause: err });
}

function isPrematureClose(err: unknown): boolean {
  return (err as NodeJS.ErrnoException | undefined)?.code === 'ERR_STREAM_PREMATURE_CLOSE';
}
