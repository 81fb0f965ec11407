/**
 * Step: verify decrypted bytes before they can be released. Two checks, both decided
 * in _flush, i.e. before the destination sees the end of the stream:
 * - the plaintext blob digest against the digest recorded in the private options
 *   (ocicrypt's `digest`, which only ctr-enc checks);
 * - for tar, tar+gzip and tar+zstd layers, the digest of the uncompressed tar against
 *   the image config's `rootfs.diff_ids` entry for this layer.
 * containers/image records the *source* blob digest in the private options when it
 * recompresses during the copy (vector `zstd-recompressed`), so a private-options
 * mismatch is accepted only when the diff_id check proved the plaintext right — by
 * default; `privateOptionsDigestMismatch` makes that stricter or looser (a containerd
 * decoder has no image config, hence no diff_id).
 */
import { STEP_HIGH_WATER_MARK } from '../../copy/steps/buffering.js';
import { createGunzip, type Gunzip } from 'node:zlib';
import { Transform, type TransformCallback } from 'node:stream';
import { whenWritable } from '../../util/streams.js';
import type { Decompress as ZstdDecompress } from 'fzstd';
import { ImgsealError } from '../../errors.js';
import { Digester, type Digest } from '../../model/digest.js';
import { createStreamHasher, type StreamHasher } from '../../util/parallel-hash.js';
import type { LayerCompression } from '../../model/media-types.js';
import type { ChunkStep } from '../../copy/steps/chunk-step.js';

let Zstd: typeof ZstdDecompress | undefined;

/** Loads the zstd decoder; call before building a verifier for a tar+zstd layer. */
export async function loadZstd(): Promise<void> {
  Zstd ??= (await import('fzstd')).Decompress;
}

export interface PlaintextExpectations {
  /** `digest` from the private options ("" when the encryptor had none). */
  privateOptionsDigest?: string;
  /** The config's diff_id for this layer, when the config has one. */
  diffId?: Digest;
  compression: LayerCompression;
  /** Names the layer in messages. */
  what: string;
  /**
   * Set when the destination is told to expect `diffId` as the blob digest (an
   * uncompressed layer is its own tar): it verifies that before committing, so this
   * step need not hash the blob a second time.
   */
  diffIdCheckedByDestination?: boolean;
  /**
   * The plaintext's size when known in advance (CTR keeps the ciphertext's): set, the
   * blob digest may go to the hash worker like any large blob's (util/parallel-hash.ts).
   * The containerd decoder sets it, so that its second core hashes the plaintext while
   * this thread deciphers; the copy pipeline leaves the digest inline.
   */
  plaintextSize?: number;
  /** Told when a private-options mismatch was accepted because the diff_id matched. */
  warn?: (message: string) => void;
  /**
   * A plaintext whose digest differs from the private options' `digest`:
   * `unless-diff-id` (default) fails unless the diff_id check passed (then warns);
   * `fail` always fails; `warn` only warns (the HMAC has already authenticated the
   * ciphertext, so the plaintext is what the encryptor wrote).
   */
  privateOptionsDigestMismatch?: 'unless-diff-id' | 'fail' | 'warn';
}

export class PlaintextVerifier extends Transform implements ChunkStep {
  private readonly blob: StreamHasher;
  private readonly tar = new Digester();
  private readonly gunzip: Gunzip | undefined;
  private readonly zstd: ZstdDecompress | undefined;
  private gunzipDone: Promise<void> | undefined;
  private sideError: unknown;

  constructor(private readonly expect: PlaintextExpectations) {
    super({ highWaterMark: STEP_HIGH_WATER_MARK });
    this.blob = createStreamHasher('sha256', expect.plaintextSize ?? 0);
    if (!expect.diffId) return;
    if (expect.compression === 'gzip') {
      this.gunzip = createGunzip();
      this.gunzip.on('data', (d: Buffer) => this.tar.update(d));
      this.gunzipDone = new Promise((resolve) => {
        this.gunzip?.on('end', resolve);
        // A destroyed decompressor ends with 'close' and no 'end'.
        this.gunzip?.on('close', resolve);
        this.gunzip?.on('error', (err) => {
          this.sideError = err;
          resolve();
        });
      });
    } else if (expect.compression === 'zstd') {
      if (!Zstd) throw new ImgsealError('INTERNAL', 'zstd decoder not loaded (call loadZstd first)');
      this.zstd = new Zstd((chunk) => this.tar.update(chunk));
    }
  }

  /**
   * Chunk interface (copy/steps/chunk-step.ts). The decompressors keep what they are
   * given past this call, so they get copies (cheap next to decompressing).
   */
  processChunk(chunk: Buffer): Buffer | Promise<Buffer> {
    return this.admit(chunk, true);
  }

  private admit(chunk: Buffer, reusedBuffer: boolean): Buffer | Promise<Buffer> {
    // The worker hasher copies what it keeps; a promise means it is behind (backpressure).
    const behind = this.expect.diffIdCheckedByDestination ? undefined : this.blob.update(chunk);
    if (this.zstd && this.sideError === undefined) {
      try {
        this.zstd.push(reusedBuffer ? Uint8Array.prototype.slice.call(chunk) : chunk);
      } catch (err) {
        this.sideError = err;
      }
    }
    if (this.gunzip && this.sideError === undefined && !this.gunzip.write(reusedBuffer ? Buffer.from(chunk) : chunk)) {
      // A decompressor that failed never drains: waiting for 'drain' alone stalled the
      // copy until the event loop emptied and Node exited 0 with nothing done. Its
      // error is kept for the verdict in _flush, so that a failed HMAC (decided at the
      // end of the ciphertext) is reported rather than the garbage it decrypted to.
      return Promise.all([behind, whenWritable(this.gunzip)]).then(() => chunk);
    }
    return behind ? behind.then(() => chunk) : chunk;
  }

  async finishChunks(): Promise<undefined> {
    await this.finish();
    return undefined;
  }

  override _transform(chunk: Buffer, _enc: BufferEncoding, cb: TransformCallback): void {
    const out = this.admit(chunk, false);
    if (out instanceof Promise) void out.then((c) => cb(null, c), cb);
    else cb(null, out);
  }

  override _destroy(err: Error | null, cb: (error: Error | null) => void): void {
    this.gunzip?.destroy();
    this.blob.abandon();
    cb(err);
  }

  override _flush(cb: TransformCallback): void {
    void this.finish().then(() => cb(), cb);
  }

  private async finish(): Promise<void> {
    const { what, diffId, privateOptionsDigest } = this.expect;
    if (this.expect.diffIdCheckedByDestination) {
      if (privateOptionsDigest && privateOptionsDigest !== diffId) {
        if (this.expect.privateOptionsDigestMismatch === 'fail') {
          throw new ImgsealError('PLAINTEXT_DIGEST_MISMATCH', `${what}: decrypted blob is ${diffId}, the wrapped key says ${privateOptionsDigest}`);
        }
        this.expect.warn?.(`${what}: the wrapped key records digest ${privateOptionsDigest}, the config's diff_id is ${diffId}; the layer is verified against the diff_id`);
      }
      this.blob.abandon();
      return;
    }
    if (this.gunzip) {
      this.gunzip.end();
      await this.gunzipDone;
    }
    if (this.zstd && this.sideError === undefined) {
      try {
        this.zstd.push(new Uint8Array(0), true);
      } catch (err) {
        this.sideError = err;
      }
    }
    const blobDigest = await this.blob.digest();
    let diffIdVerified = false;
    if (diffId && this.expect.compression !== 'unknown') {
      if (this.sideError !== undefined) {
        throw new ImgsealError('DIFF_ID_MISMATCH', `${what}: decrypted layer does not decompress (${(this.sideError as Error).message ?? this.sideError})`);
      }
      // An uncompressed layer is its own tar: one hash pass serves both checks.
      const actual = this.expect.compression === 'none' ? blobDigest : this.tar.digest();
      if (actual !== diffId) {
        throw new ImgsealError('DIFF_ID_MISMATCH', `${what}: decrypted layer's uncompressed digest ${actual} is not the config's diff_id ${diffId}`);
      }
      diffIdVerified = true;
    }
    if (privateOptionsDigest && privateOptionsDigest !== blobDigest) {
      const policy = this.expect.privateOptionsDigestMismatch ?? 'unless-diff-id';
      if (policy === 'warn') {
        this.expect.warn?.(`${what}: the wrapped key records digest ${privateOptionsDigest} but the plaintext is ${blobDigest}; accepted (HMAC verified)`);
        return;
      }
      if (policy === 'fail' || !diffIdVerified) {
        throw new ImgsealError('PLAINTEXT_DIGEST_MISMATCH', `${what}: decrypted blob is ${blobDigest}, the wrapped key says ${privateOptionsDigest}`);
      }
      this.expect.warn?.(`${what}: the wrapped key records digest ${privateOptionsDigest} but the plaintext is ${blobDigest} (recompressed during encryption); accepted because the diff_id matches`);
    }
  }
}
