import { createHash, type Hash } from 'node:crypto';
import { ImgsealError } from '../errors.js';
import { quoted } from '../util/quote.js';

/** A content digest `algorithm:hex`, e.g. `sha256:e3b0…`. */
export type Digest = `${string}:${string}`;

const HEX_LEN: Record<string, number> = { sha256: 64, sha512: 128 };

/** Algorithms we accept when reading; we always write sha256. */
export type DigestAlgorithm = 'sha256' | 'sha512';

export interface ParsedDigest {
  algorithm: DigestAlgorithm;
  hex: string;
}

/** Parses and validates a digest string; throws INVALID_ARGUMENT naming the bad value. */
export function parseDigest(value: string): ParsedDigest {
  const i = value.indexOf(':');
  const algorithm = value.slice(0, i);
  const hex = value.slice(i + 1);
  const len = HEX_LEN[algorithm];
  if (i <= 0 || len === undefined || hex.length !== len || !/^[0-9a-f]+$/.test(hex)) {
    throw new ImgsealError('MANIFEST_INVALID', `invalid digest ${quoted(value)}`);
  }
  return { algorithm: algorithm as DigestAlgorithm, hex };
}

export function isDigest(value: unknown): value is Digest {
  if (typeof value !== 'string') return false;
  try {
    parseDigest(value);
    return true;
  } catch {
    return false;
  }
}

/** sha256 digest of a buffer. */
export function sha256Digest(data: Uint8Array | string): Digest {
  return `sha256:${createHash('sha256').update(data).digest('hex')}`;
}

/** Digest of `data` with the algorithm of `like` (for verifying sha512-named content). */
export function digestOf(data: Uint8Array, like: Digest = 'sha256:'): Digest {
  const algorithm = like.slice(0, like.indexOf(':')) || 'sha256';
  return `${algorithm}:${createHash(algorithm).update(data).digest('hex')}` as Digest;
}

/** An incremental hasher that yields a Digest. */
export class Digester {
  readonly algorithm: DigestAlgorithm;
  private readonly hash: Hash;
  private bytes = 0;

  constructor(algorithm: DigestAlgorithm = 'sha256') {
    this.algorithm = algorithm;
    this.hash = createHash(algorithm);
  }

  update(chunk: Uint8Array): void {
    this.hash.update(chunk);
    this.bytes += chunk.length;
  }

  get size(): number {
    return this.bytes;
  }

  digest(): Digest {
    return `${this.algorithm}:${this.hash.digest('hex')}`;
  }
}

/** Throws DIGEST_MISMATCH when `data` does not hash to `expected`. */
export function verifyDigest(data: Uint8Array, expected: Digest, what: string): void {
  const actual = digestOf(data, expected);
  if (actual !== expected) {
    throw new ImgsealError('DIGEST_MISMATCH', `${what}: digest mismatch: expected ${expected}, got ${actual}`);
  }
}

/** The hex part of a digest, used as a file name in OCI layouts. */
export function digestHex(d: Digest): string {
  return parseDigest(d).hex;
}
