/**
 * Writing a blob stream to a file so that it only appears once complete and verified:
 * bytes go to a temporary name while being hashed; only when the stream ended
 * cleanly and the digest is the expected one is the file renamed into place.
 * A stream error (e.g. a failed HMAC check in the decrypt step) removes the
 * temporary file, so no partial or unverified content is ever visible.
 */
import { PASS_HIGH_WATER_MARK } from '../../copy/steps/buffering.js';
import { randomBytes } from 'node:crypto';
import { createWriteStream } from 'node:fs';
import { mkdir, open, rename, unlink, writeFile, type FileHandle } from 'node:fs/promises';
import { dirname, join } from 'node:path';
import { Transform, type Readable, type TransformCallback } from 'node:stream';
import { pipeline } from 'node:stream/promises';
import { ImgsealError } from '../../errors.js';
import { digestOf, parseDigest, type Digest } from '../../model/digest.js';
import { createStreamHasher, type StreamHasher } from '../../util/parallel-hash.js';
import { abortedError } from '../../util/abort.js';
import type { BlobChunks, PutBlobInfo, PutBlobResult } from '../types.js';

/**
 * A pass-through that hashes what flows by (on the hash worker for large blobs);
 * `digest()` is valid once the stream has finished.
 */
export class DigestingStream extends Transform {
  private readonly hasher: StreamHasher;
  constructor(algorithm: 'sha256' | 'sha512' = 'sha256', expectedSize?: number) {
    super({ highWaterMark: PASS_HIGH_WATER_MARK });
    this.hasher = createStreamHasher(algorithm, expectedSize);
  }
  get size(): number {
    return this.hasher.size;
  }
  digest(): Promise<Digest> {
    return this.hasher.digest();
  }
  override _transform(chunk: Buffer, _enc: BufferEncoding, cb: TransformCallback): void {
    const wait = this.hasher.update(chunk);
    // A rejected wait (the hash worker died) must fail the stream, never leave it pending.
    if (wait) void wait.then(() => cb(null, chunk), cb);
    else cb(null, chunk);
  }
  override _destroy(err: Error | null, cb: (error: Error | null) => void): void {
    if (err) this.hasher.abandon();
    cb(err);
  }
}

/**
 * Let the file stream gather up to 1 MiB before it writes: with Node's default of
 * 16 KiB every network chunk (16–64 KiB) becomes its own write(2), and a 512 MiB blob
 * then costs seconds of system time; with room to queue, chunks go out in one writev.
 */
const WRITE_HIGH_WATER_MARK = 1 << 20;

/** Folders known to exist: a copy of 200 small blobs need not mkdir 400 times. */
const madeDirs = new Set<string>();

async function ensureDir(dir: string): Promise<void> {
  if (madeDirs.has(dir)) return;
  await mkdir(dir, { recursive: true });
  madeDirs.add(dir);
}

export function tempName(dir: string, base = 'blob'): string {
  return join(dir, `.${base}-${process.pid}-${randomBytes(6).toString('hex')}.tmp`);
}

/** What was written must be what the caller announced, when it announced it. */
function checkAgainstInfo(info: PutBlobInfo, digest: Digest, size: number): void {
  if (info.digest && digest !== info.digest) {
    throw new ImgsealError('DIGEST_MISMATCH', `blob digest mismatch: expected ${info.digest}, got ${digest}`);
  }
  if (info.size !== undefined && info.size >= 0 && size !== info.size) {
    throw new ImgsealError('SIZE_MISMATCH', `blob ${digest}: expected ${info.size} bytes, got ${size}`);
  }
}

/**
 * Streams `stream` into `dir` under a temporary name and returns the digest; the
 * caller moves it into place with `finalPath`. `info.digest`, when given, must match.
 */
export async function writeVerifiedTemp(
  stream: Readable,
  dir: string,
  info: PutBlobInfo,
  signal?: AbortSignal,
): Promise<PutBlobResult & { tempPath: string }> {
  await ensureDir(dir);
  const tempPath = tempName(dir);
  const algorithm = info.digest ? parseDigest(info.digest).algorithm : 'sha256';
  const hasher = new DigestingStream(algorithm, info.size);
  try {
    await pipeline(stream, hasher, createWriteStream(tempPath, { mode: 0o644, highWaterMark: WRITE_HIGH_WATER_MARK }), signal ? { signal } : {});
    const digest = await hasher.digest();
    const size = hasher.size;
    checkAgainstInfo(info, digest, size);
    return { digest, size, tempPath };
  } catch (err) {
    await unlink(tempPath).catch(() => {});
    throw err;
  }
}

/**
 * writeVerifiedTemp for a blob pulled in chunks: each chunk is hashed and written at
 * its offset while the next one is pulled (one write in flight, as BlobChunks allows);
 * no stream, no buffering beyond the chunks themselves.
 */
export async function writeVerifiedChunks(chunks: BlobChunks, dir: string, info: PutBlobInfo, signal?: AbortSignal): Promise<PutBlobResult & { tempPath: string }> {
  await ensureDir(dir);
  const tempPath = tempName(dir);
  const hasher = createStreamHasher(info.digest ? parseDigest(info.digest).algorithm : 'sha256', info.size);
  let file: FileHandle | undefined;
  let writing: Promise<void> | undefined;
  try {
    file = await open(tempPath, 'wx', 0o644);
    let position = 0;
    for (;;) {
      if (signal?.aborted) throw abortedError(signal);
      const chunk = await chunks.next();
      if (chunk === null) break;
      const wait = hasher.update(chunk);
      if (writing) await writing;
      writing = writeAt(file, chunk, position);
      position += chunk.length;
      if (wait) await wait;
    }
    await writing;
    writing = undefined;
    await file.close();
    file = undefined;
    const digest = await hasher.digest();
    checkAgainstInfo(info, digest, hasher.size);
    return { digest, size: hasher.size, tempPath };
  } catch (err) {
    hasher.abandon();
    await writing?.catch(() => {});
    await file?.close().catch(() => {});
    await unlink(tempPath).catch(() => {});
    throw err;
  }
}

async function writeAt(file: FileHandle, chunk: Buffer, position: number): Promise<void> {
  let done = 0;
  while (done < chunk.length) {
    const { bytesWritten } = await file.write(chunk, done, chunk.length - done, position + done);
    done += bytesWritten;
  }
}

/** writeVerifiedTemp for a small blob given whole: verified first, then one write. */
export async function writeVerifiedBytes(bytes: Buffer, dir: string, info: PutBlobInfo): Promise<PutBlobResult & { tempPath: string }> {
  const digest = digestOf(bytes, info.digest);
  checkAgainstInfo(info, digest, bytes.length);
  await ensureDir(dir);
  const tempPath = tempName(dir);
  try {
    await writeFile(tempPath, bytes, { mode: 0o644, flag: 'wx' });
  } catch (err) {
    await unlink(tempPath).catch(() => {});
    throw err;
  }
  return { digest, size: bytes.length, tempPath };
}

/** Renames a verified temp file to its final place (atomic on one filesystem). */
export async function moveIntoPlace(tempPath: string, finalPath: string): Promise<void> {
  await ensureDir(dirname(finalPath));
  try {
    await rename(tempPath, finalPath);
  } catch (err) {
    // The folder may have been removed since (a staging folder of an earlier copy).
    if ((err as NodeJS.ErrnoException).code !== 'ENOENT') throw err;
    madeDirs.delete(dirname(finalPath));
    await mkdir(dirname(finalPath), { recursive: true });
    await rename(tempPath, finalPath);
  }
}

export type { Digest };
