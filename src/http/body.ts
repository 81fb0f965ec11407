/** Bounded reading of response bodies (a hostile or broken server cannot make us buffer without end). */
import { ImgsealError } from '../errors.js';
import type { Readable } from 'node:stream';

/** Reads at most `limit` bytes; more is an error (`what` names it) unless `truncate`. */
export async function readLimited(body: Readable, limit: number, what = 'response', truncate = false): Promise<Buffer> {
  const chunks: Buffer[] = [];
  let n = 0;
  for await (const chunk of body) {
    const b = chunk as Buffer;
    n += b.length;
    if (n > limit) {
      body.destroy();
      if (truncate) {
        chunks.push(b.subarray(0, b.length - (n - limit)));
        return Buffer.concat(chunks);
      }
      throw new ImgsealError('REGISTRY_ERROR', `${what} is larger than ${limit} bytes`);
    }
    chunks.push(b);
  }
  return Buffer.concat(chunks);
}

/** The first `limit` bytes of a body as text (for error messages); never throws on size. */
export async function readText(body: Readable, limit = 64 * 1024): Promise<string> {
  try {
    return (await readLimited(body, limit, 'response', true)).toString('utf8');
  } catch {
    return '';
  }
}

/** Discards a body we do not need, so the connection can be reused. */
export async function discard(body: Readable & { dump?: () => Promise<void> }): Promise<void> {
  try {
    if (body.dump) await body.dump();
    else body.destroy();
  } catch {
    // the body is not needed; a failure to drain it only costs the connection
  }
}
