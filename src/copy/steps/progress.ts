/** Step: report bytes read from the source to the progress sink, without touching them. */
import { PASS_HIGH_WATER_MARK } from './buffering.js';
import { Transform, type TransformCallback } from 'node:stream';
import type { Descriptor } from '../../model/descriptor.js';
import type { ProgressSink } from '../progress.js';
import type { ChunkStep } from './chunk-step.js';

export class ProgressStep extends Transform implements ChunkStep {
  constructor(
    private readonly sink: ProgressSink,
    private readonly desc: Descriptor,
  ) {
    super({ highWaterMark: PASS_HIGH_WATER_MARK });
  }

  processChunk(chunk: Buffer): Buffer {
    this.sink.blobProgress(this.desc, chunk.length);
    return chunk;
  }

  finishChunks(): undefined {
    return undefined;
  }

  override _transform(chunk: Buffer, _enc: BufferEncoding, cb: TransformCallback): void {
    cb(null, this.processChunk(chunk));
  }
}
