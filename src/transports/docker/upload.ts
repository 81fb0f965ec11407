/**
 * Blob upload (distribution spec "pushing blobs"): POST opens a session, then either
 * one PUT with the whole body (small blobs whose digest and size are known: they are
 * buffered, so a retry can resend them), or one streaming PATCH followed by
 * `PUT ?digest=` computed while streaming. The final PUT, which is what makes the blob
 * exist, is sent only after the input stream ended cleanly and the digest matched;
 * on any failure the session is DELETEd, so nothing partial is left behind.
 */
import { SMALL_BLOB_LIMIT } from '../../util/limits.js';
import { Readable } from 'node:stream';
import { PASS_HIGH_WATER_MARK } from '../../copy/steps/buffering.js';
import { ImgsealError, isImgsealError } from '../../errors.js';
import { createStreamHasher } from '../../util/parallel-hash.js';
import { digestOf, type Digest, type DigestAlgorithm } from '../../model/digest.js';
import type { PutBlobInfo, PutBlobResult } from '../types.js';
import { discard, readLimited } from '../../http/index.js';
import type { RegistryClient } from './client.js';

/** Blobs up to this size with a known digest go in one buffered PUT (constant memory bound). */
export const MONOLITHIC_MAX = SMALL_BLOB_LIMIT;

function algorithmOf(d: Digest | undefined): DigestAlgorithm {
  return d?.startsWith('sha512:') ? 'sha512' : 'sha256';
}

export class BlobUploader {
  /** Upload sessions opened ahead of time for small blobs, by digest (see prepare()). */
  private readonly prepared = new Map<Digest, Promise<URL>>();

  constructor(private readonly client: RegistryClient) {}

  /**
   * Opens an upload session for a small blob while the caller is still asking whether
   * the blob exists: a small blob costs round trips, not bytes, so overlapping the
   * POST with the HEAD saves one of its three. discardPrepared() cancels it when the
   * blob turned out to exist.
   */
  prepare(digest: Digest): void {
    if (this.prepared.has(digest)) return;
    const session = this.open();
    session.catch(() => {}); // a failed early POST just means put() opens its own
    this.prepared.set(digest, session);
  }

  discardPrepared(digest: Digest): void {
    const session = this.prepared.get(digest);
    this.prepared.delete(digest);
    session?.then((url) => this.cancel(url), () => {});
  }

  /** Cancels sessions prepared for blobs that were never uploaded. */
  async discardAllPrepared(): Promise<void> {
    const sessions = [...this.prepared.values()];
    this.prepared.clear();
    await Promise.all(sessions.map((p) => p.then((url) => this.cancel(url), () => {})));
  }

  private async takeSession(digest: Digest | undefined, signal?: AbortSignal): Promise<URL> {
    const early = digest ? this.prepared.get(digest) : undefined;
    if (early) {
      this.prepared.delete(digest as Digest);
      try {
        return await early;
      } catch {
        // fall through: open a session now
      }
    }
    return this.open(signal);
  }

  private what(d?: string): string {
    return `uploading blob${d ? ` ${d}` : ''} to ${this.client.domain}/${this.client.repository}`;
  }

  /** POST a new upload session; returns its absolute URL. */
  private async open(signal?: AbortSignal): Promise<URL> {
    const res = await this.client.request({
      method: 'POST',
      path: `/v2/${this.client.repository}/blobs/uploads/`,
      headers: { 'content-length': '0' },
      what: `${this.what()}: starting an upload`,
      expect: [202],
      signal,
    });
    await discard(res.body);
    return this.location(res.headers.location, 'starting an upload');
  }

  private async location(loc: string | string[] | undefined, step: string): Promise<URL> {
    if (typeof loc !== 'string' || loc === '') throw new ImgsealError('REGISTRY_ERROR', `${this.what()}: ${step}: no Location in the answer`);
    return new URL(loc, await this.client.baseUrl());
  }

  /** Best effort: a session we abandon should not linger (registries purge them eventually anyway). */
  private async cancel(session: URL): Promise<void> {
    try {
      const res = await this.client.request({ method: 'DELETE', path: session.toString(), what: 'cancelling upload', expect: [200, 202, 204, 404] });
      await discard(res.body);
    } catch {
      // nothing was committed; a stale session is harmless
    }
  }

  private async finish(session: URL, digest: Digest, body: Buffer | undefined, signal?: AbortSignal): Promise<void> {
    const url = new URL(session);
    url.searchParams.set('digest', digest);
    const res = await this.client.request({
      method: 'PUT',
      path: url.toString(),
      headers: { 'content-type': 'application/octet-stream', 'content-length': String(body?.length ?? 0) },
      body: body ?? Buffer.alloc(0),
      what: `${this.what(digest)}: committing`,
      expect: [201, 204],
      signal,
    });
    await discard(res.body);
  }

  async put(stream: Readable, info: PutBlobInfo, signal?: AbortSignal): Promise<PutBlobResult> {
    if (info.digest && info.size !== undefined && info.size <= MONOLITHIC_MAX) return this.putSmall(stream, info, signal);
    return this.putStreaming(stream, info, signal);
  }

  private check(info: PutBlobInfo, digest: Digest, size: number): void {
    if (info.digest && digest !== info.digest) {
      throw new ImgsealError('DIGEST_MISMATCH', `${this.what(info.digest)}: the content has digest ${digest}; not committed`);
    }
    if (info.size !== undefined && info.size >= 0 && size !== info.size) {
      throw new ImgsealError('SIZE_MISMATCH', `${this.what(info.digest ?? digest)}: expected ${info.size} bytes, got ${size}; not committed`);
    }
  }

  private async putSmall(stream: Readable, info: PutBlobInfo, signal?: AbortSignal): Promise<PutBlobResult> {
    const limit = (info.size ?? 0) + 1; // one byte more shows a stream longer than announced
    return this.putBytes(await readLimited(stream, limit, this.what(info.digest), true), info, signal);
  }

  /** One POST (often opened early, see prepare()) and one PUT with the whole body. */
  async putBytes(buf: Buffer, info: PutBlobInfo, signal?: AbortSignal): Promise<PutBlobResult> {
    const digest = digestOf(buf, info.digest);
    this.check(info, digest, buf.length);
    const session = await this.takeSession(info.digest, signal);
    try {
      await this.finish(session, digest, buf, signal);
    } catch (err) {
      await this.cancel(session);
      throw err;
    }
    return { digest, size: buf.length };
  }

  private async putStreaming(stream: Readable, info: PutBlobInfo, signal?: AbortSignal): Promise<PutBlobResult> {
    // Large uploads are hashed on the hash worker, so the main thread keeps sending.
    const hasher = createStreamHasher(algorithmOf(info.digest), info.size);
    let sourceErr: unknown;
    let consumed = 0;
    let started = false;
    // Wraps the input so we hash while sending and know whether a failure was the input's own.
    async function* hashing(): AsyncGenerator<Buffer> {
      started = true;
      const input = stream[Symbol.asyncIterator]() as AsyncIterator<Buffer | string>;
      try {
        for (;;) {
          let next: IteratorResult<Buffer | string>;
          try {
            next = await input.next();
          } catch (err) {
            // Only a failure of the input itself is the input's (e.g. a failed HMAC
            // check upstream); errors thrown in by the HTTP side are not.
            sourceErr = err;
            throw err;
          }
          if (next.done) return;
          const chunk = typeof next.value === 'string' ? Buffer.from(next.value) : next.value;
          const wait = hasher.update(chunk);
          if (wait) await wait;
          consumed += chunk.length;
          yield chunk;
        }
      } finally {
        await input.return?.();
      }
    }
    // A session that fails before the input was touched can be replaced by a new one.
    for (let attempt = 0; ; attempt++) {
      const session = await this.open(signal);
      let next: URL;
      try {
        const res = await this.client.request({
          method: 'PATCH',
          path: session.toString(),
          headers: { 'content-type': 'application/octet-stream' },
          // A byte stream with a small buffer: in object mode it would queue 16 chunks per blob.
          body: Readable.from(hashing(), { objectMode: false, highWaterMark: PASS_HIGH_WATER_MARK }),
          what: `${this.what(info.digest)}: sending data`,
          expect: [202],
          signal,
        });
        await discard(res.body);
        next = await this.location(res.headers.location ?? session.toString(), 'sending data');
      } catch (err) {
        await this.cancel(session);
        const retryable = isImgsealError(err, 'NETWORK_ERROR', 'REGISTRY_ERROR', 'TOO_MANY_REQUESTS', 'UNAUTHORIZED');
        if (sourceErr === undefined && retryable && !started && consumed === 0 && attempt < this.client.retry.retryTimes) continue;
        hasher.abandon();
        if (sourceErr !== undefined) throw sourceErr;
        stream.destroy();
        if (consumed > 0 && isImgsealError(err)) {
          throw new ImgsealError(err.code, `${err.message} (after ${consumed} bytes; the input cannot be replayed, nothing was committed)`, { cause: err });
        }
        throw err;
      }
      const digest = await hasher.digest();
      try {
        this.check(info, digest, consumed);
        await this.finish(next, digest, undefined, signal);
      } catch (err) {
        await this.cancel(next);
        throw err;
      }
      return { digest, size: consumed };
    }
  }

  /** Cross-repository mount; true when the registry linked the blob (201). */
  async mount(digest: Digest, fromRepository: string, signal?: AbortSignal): Promise<boolean> {
    const q = new URLSearchParams({ mount: digest, from: fromRepository });
    const res = await this.client.request({
      method: 'POST',
      path: `/v2/${this.client.repository}/blobs/uploads/?${q.toString()}`,
      headers: { 'content-length': '0' },
      what: `mounting blob ${digest} from ${fromRepository}`,
      expect: [201, 202],
      signal,
    });
    await discard(res.body);
    if (res.statusCode === 201) return true;
    // 202: the registry opened an ordinary upload instead; we do not need it.
    await this.cancel(await this.location(res.headers.location, 'mounting'));
    return false;
  }
}
