/**
 * Step: check that a stream is exactly the blob a descriptor names. The check runs
 * when the stream ends (in _flush), so a mismatch fails the pipeline before the
 * destination sees the end of its input and can commit anything.
 */
import { Transform, type TransformCallback } from 'node:stream';
import { ImgsealError } from '../../errors.js';
import { Digester, parseDigest, type Digest } from '../../model/digest.js';

export class DigestVerifier extends Transform {
  private readonly digester: Digester;
  private readonly expected: Digest;
  private readonly expectedSize: number | undefined;
  private readonly what: string;

  constructor(expected: Digest, expectedSize: number | undefined, what: string) {
    super({ highWaterMark: 1 << 20 });
    this.expected = expected;
    this.expectedSize = expectedSize;
    this.what = what;
    this.digester = new Digester(parseDigest(expected).algorithm);
  }

  override _transform(chunk: Buffer, _enc: BufferEncoding, cb: TransformCallback): void {
    this.digester.update(chunk);
    if (this.expectedSize !== undefined && this.digester.size > this.expectedSize) {
      cb(new ImgsealError('SIZE_MISMATCH', `${this.what}: more than the ${this.expectedSize} bytes the manifest declares`));
      return;
    }
    cb(null, chunk);
  }

  override _flush(cb: TransformCallback): void {
    const actual = this.digester.digest();
    if (this.expectedSize !== undefined && this.digester.size !== this.expectedSize) {
      cb(new ImgsealError('SIZE_MISMATCH', `${this.what}: ${this.digester.size} bytes, the manifest declares ${this.expectedSize} (truncated?)`));
    } else if (actual !== this.expected) {
      cb(new ImgsealError('DIGEST_MISMATCH', `${this.what}: digest mismatch: the manifest says ${this.expected}, the content is ${actual}`));
    } else {
      cb();
    }
  }
}
