/**
 * The one layer cipher ocicrypt defines, `AES_256_CTR_HMAC_SHA256` (spec §3):
 * AES-256-CTR with the 16-byte nonce as the whole initial counter block, then
 * HMAC-SHA256 over the ciphertext, keyed with the same 32-byte key.
 *
 * Both directions are Transforms that hand each chunk to OpenSSL once for the
 * cipher and once for the HMAC and nothing else: this is the hot path of every
 * encrypted copy, so no copying, no re-chunking, no buffering of whole blobs.
 */
import { createCipheriv, createDecipheriv, createHmac, randomBytes, timingSafeEqual } from 'node:crypto';
import type { Cipher, Decipher, Hmac } from 'node:crypto';
import { Transform, type TransformCallback, type TransformOptions } from 'node:stream';
import { ImgsealError } from '../../errors.js';
import type { ChunkStep } from '../../copy/steps/chunk-step.js';

export const LAYER_CIPHER = 'AES_256_CTR_HMAC_SHA256';
export const SYMKEY_LENGTH = 32;
export const NONCE_LENGTH = 16;
export const HMAC_LENGTH = 32;

/** Fresh per-layer secrets. Never reuse them for a second encryption (CTR). */
export interface LayerSecrets {
  symkey: Buffer;
  nonce: Buffer;
}

export function newLayerSecrets(): LayerSecrets {
  return { symkey: randomBytes(SYMKEY_LENGTH), nonce: randomBytes(NONCE_LENGTH) };
}

/** What a decryption needs; usually from resolveLayerCipherParams() in options.ts. */
export interface LayerCipherParams extends LayerSecrets {
  /** The HMAC recorded in the public options. */
  hmac: Buffer;
}

function checkSecrets(s: LayerSecrets): void {
  if (s.symkey.length !== SYMKEY_LENGTH) {
    throw new ImgsealError('INVALID_ENCRYPTION_METADATA', `invalid key length of ${s.symkey.length} bytes; need ${SYMKEY_LENGTH} bytes`);
  }
  if (s.nonce.length !== NONCE_LENGTH) {
    throw new ImgsealError('INVALID_ENCRYPTION_METADATA', `invalid nonce length of ${s.nonce.length} bytes; need ${NONCE_LENGTH} bytes`);
  }
}

/**
 * Plaintext in, ciphertext out. `hmac` is set once the writable side has
 * finished (it is available in 'finish' and 'end' handlers and after
 * `stream/promises.pipeline` resolves).
 */
export class LayerEncryptor extends Transform implements ChunkStep {
  private readonly cipher: Cipher;
  private readonly mac: Hmac;
  private result: Buffer | undefined;

  constructor(secrets: LayerSecrets, options?: TransformOptions) {
    super(options);
    checkSecrets(secrets);
    this.cipher = createCipheriv('aes-256-ctr', secrets.symkey, secrets.nonce);
    this.mac = createHmac('sha256', secrets.symkey);
  }

  /** HMAC-SHA256 of the ciphertext; throws if read before the stream finished. */
  get hmac(): Buffer {
    if (!this.result) throw new ImgsealError('INTERNAL', 'layer HMAC read before the encryption stream finished');
    return this.result;
  }

  /** Chunk interface (copy/steps/chunk-step.ts): the ciphertext of `chunk`, in a new buffer. */
  processChunk(chunk: Buffer): Buffer {
    const out = this.cipher.update(chunk);
    this.mac.update(out);
    return out;
  }

  /** Ends the cipher and computes the HMAC; returns the cipher's tail, if any. */
  finishChunks(): Buffer | undefined {
    // CTR is a stream mode: final() yields nothing, but it releases OpenSSL state.
    const tail = this.cipher.final();
    if (tail.length > 0) this.mac.update(tail);
    this.result = this.mac.digest();
    return tail.length > 0 ? tail : undefined;
  }

  override _transform(chunk: Buffer, _enc: BufferEncoding, cb: TransformCallback): void {
    cb(null, this.processChunk(chunk));
  }

  override _flush(cb: TransformCallback): void {
    const tail = this.finishChunks();
    if (tail) this.push(tail);
    cb();
  }
}

/**
 * Ciphertext in, plaintext out; fails the stream with HMAC_MISMATCH at the end
 * when the ciphertext does not match the recorded HMAC.
 *
 * Like Go, plaintext is released before the verdict (holding back a whole
 * layer would cost memory proportional to the layer). The error is raised in
 * _flush, i.e. before the readable side ends, so a consumer in a pipeline sees
 * the error instead of 'end' and must discard what it staged — destinations do
 * exactly that (they commit only after a successful end).
 */
export class LayerDecryptor extends Transform implements ChunkStep {
  private readonly decipher: Decipher;
  private readonly mac: Hmac;
  private readonly expected: Buffer;

  constructor(params: LayerCipherParams, options?: TransformOptions) {
    super(options);
    checkSecrets(params);
    if (params.hmac.length === 0) {
      throw new ImgsealError('INVALID_ENCRYPTION_METADATA', 'HMAC is not provided for decryption process');
    }
    this.decipher = createDecipheriv('aes-256-ctr', params.symkey, params.nonce);
    this.mac = createHmac('sha256', params.symkey);
    this.expected = params.hmac;
  }

  /** Chunk interface (copy/steps/chunk-step.ts): the plaintext of `chunk`, in a new buffer. */
  processChunk(chunk: Buffer): Buffer {
    this.mac.update(chunk);
    return this.decipher.update(chunk);
  }

  /**
   * Ends the cipher and checks the HMAC: throws HMAC_MISMATCH, or returns the
   * cipher's tail (if any), which the caller must not release before this returned.
   */
  finishChunks(): Buffer | undefined {
    const tail = this.decipher.final();
    const actual = this.mac.digest();
    if (actual.length !== this.expected.length || !timingSafeEqual(actual, this.expected)) {
      // Only the expected (public) value is named: echoing the computed HMAC of
      // tampered ciphertext would hand an attacker a valid MAC for it.
      throw new ImgsealError(
        'HMAC_MISMATCH',
        `could not properly decrypt byte stream; HMAC mismatch (expected ${this.expected.toString('hex')}): the layer was modified or does not belong to these encryption options`,
      );
    }
    return tail.length > 0 ? tail : undefined;
  }

  override _transform(chunk: Buffer, _enc: BufferEncoding, cb: TransformCallback): void {
    cb(null, this.processChunk(chunk));
  }

  override _flush(cb: TransformCallback): void {
    let tail: Buffer | undefined;
    try {
      tail = this.finishChunks();
    } catch (err) {
      cb(err as Error);
      return;
    }
    if (tail) this.push(tail);
    cb();
  }
}
