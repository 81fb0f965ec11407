import type { Readable } from 'node:stream';
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
