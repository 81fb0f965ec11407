/**
 * Blob GET as one seamless stream: follows redirects (to blob storage, without our
 * Authorization), and when the connection breaks or ends early, resumes with
 * `Range: bytes=N-` (checking the 206's Content-Range), up to retryTimes, so the
 * pipeline sees the whole blob or one clear error. Memory stays constant: one chunk
 * in flight, with the consumer's backpressure.
 */
import { Readable } from 'node:stream';
import { ImgsealError } from '../../errors.js';
import type { Descriptor } from '../../model/descriptor.js';
import { discard, isTransientNetworkError, networkError, backoffDelay } from '../../http/index.js';
import type { RegistryClient } from './client.js';

const MAX_REDIRECTS = 5;
const REDIRECTS = [301, 302, 303, 307, 308];

interface Opened {
  body: Readable;
  /** Bytes to drop at the start (a server that ignored our Range and sent everything). */
  skip: number;
}

class ShortBody extends Error {}

async function openAt(client: RegistryClient, desc: Descriptor, offset: number, what: string, signal?: AbortSignal): Promise<Opened> {
  const headers: Record<string, string> = offset > 0 ? { range: `bytes=${offset}-` } : {};
  let path = `/v2/${client.repository}/blobs/${desc.digest}`;
  let noAuth = false;
  for (let hop = 0; hop <= MAX_REDIRECTS; hop++) {
    const res = await client.request({ method: 'GET', path, headers, what, expect: [200, 206, ...REDIRECTS], noAuth, signal });
    if (REDIRECTS.includes(res.statusCode)) {
      const loc = res.headers.location;
      await discard(res.body);
      if (typeof loc !== 'string') throw new ImgsealError('REGISTRY_ERROR', `${what}: redirect without a Location`);
      const base = path.startsWith('http') ? path : `${await client.baseUrl(signal)}${path}`;
      const next = new URL(loc, base);
      // Credentials for the registry must not leak to another host (blob storage).
      noAuth = noAuth || next.host !== new URL(base).host;
      path = next.toString();
      continue;
    }
    if (offset === 0) return { body: res.body, skip: 0 };
    if (res.statusCode === 206) {
      const range = String(res.headers['content-range'] ?? '');
      const m = /^bytes (\d+)-/.exec(range);
      if (!m || Number(m[1]) !== offset) {
        await discard(res.body);
        throw new ImgsealError('REGISTRY_ERROR', `${what}: resuming at byte ${offset}, the server answered range "${range}"`);
      }
      return { body: res.body, skip: 0 };
    }
    return { body: res.body, skip: offset };
  }
  throw new ImgsealError('REGISTRY_ERROR', `${what}: more than ${MAX_REDIRECTS} redirects`);
}

/** Opens a blob; fails at once for a missing blob, later (as a stream error) for a broken transfer. */
export async function openBlob(client: RegistryClient, desc: Descriptor, signal?: AbortSignal): Promise<Readable> {
  const what = `reading blob ${desc.digest} from ${client.domain}/${client.repository}`;
  const first = await openAt(client, desc, 0, what, signal);
  const retry = client.retry;

  async function* chunks(): AsyncGenerator<Buffer> {
    let cur: Opened = first;
    let received = 0;
    let resumes = 0;
    try {
      // Bounded: each pass either returns, throws, or uses one of retryTimes resumes.
      for (;;) {
        try {
          for await (const c of cur.body) {
            let chunk = c as Buffer;
            if (cur.skip > 0) {
              const drop = Math.min(cur.skip, chunk.length);
              cur.skip -= drop;
              chunk = chunk.subarray(drop);
              if (chunk.length === 0) continue;
            }
            received += chunk.length;
            if (received > desc.size) {
              throw new ImgsealError('SIZE_MISMATCH', `${what}: more than the expected ${desc.size} bytes`);
            }
            yield chunk;
          }
          if (received < desc.size) throw new ShortBody(`body ended after ${received} of ${desc.size} bytes`);
          return;
        } catch (err) {
          if (err instanceof ImgsealError) throw err;
          if (!(err instanceof ShortBody) && !isTransientNetworkError(err)) throw networkError(what, client.apiHost, err);
          if (resumes >= retry.retryTimes) {
            const why = err instanceof Error ? err.message : String(err);
            throw new ImgsealError('NETWORK_ERROR', `${what}: transfer interrupted after ${received} of ${desc.size} bytes, ${resumes} resumes (${why})`, { cause: err });
          }
          resumes++;
          cur.body.destroy();
          await retry.sleep(backoffDelay(retry, resumes), signal);
          cur = await openAt(client, desc, received, what, signal);
        }
      }
    } finally {
      cur.body.destroy();
    }
  }

  return Readable.from(chunks(), { objectMode: false, highWaterMark: 64 * 1024 });
}
