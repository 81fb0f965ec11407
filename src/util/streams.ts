import type { Readable, Writable } from 'node:stream';
import { ImgsealError } from '../errors.js';

/** Reads a small stream (config, manifest) into memory, refusing more than `limit` bytes. */
export async function streamToBuffer(stream: Readable, expectedSize?: number, limit = 64 << 20): Promise<Buffer> {
  const max = expectedSize !== undefined && expectedSize >= 0 ? Math.min(expectedSize, limit) : limit;
  const chunks: Buffer[] = [];
  let n = 0;
  for await (const chunk of stream) {
    const b = Buffer.isBuffer(chunk) ? chunk : Buffer.from(chunk as Uint8Array);
    n += b.length;
    if (n > max) {
      stream.destroy();
      throw new ImgsealError('SIZE_MISMATCH', `blob is larger than the ${max} bytes expected`);
    }
    chunks.push(b);
  }
  return Buffer.concat(chunks);
}

/**
 * Resolves once `w` takes more data ('drain') or can never take any again (it failed,
 * was destroyed or closed). Waiting for 'drain' alone hangs when the stream fails
 * instead: the caller would wait for an event that never comes. The caller learns of
 * the failure from its own 'error' listener or `w.errored`.
 */
export function whenWritable(w: Writable): Promise<void> {
  if (w.destroyed || w.errored || w.writableEnded || !w.writableNeedDrain) return Promise.resolve();
  return new Promise((resolve) => {
    const done = (): void => {
      w.off('drain', done);
      w.off('error', done);
      w.off('close', done);
      resolve();
    };
    w.on('drain', done);
    w.on('error', done);
    w.on('close', done);
  });
}
