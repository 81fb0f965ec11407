/**
 * Compressed archives (`docker save | gzip`, `tar --zstd`), as containers/image reads
 * them: recognised by their magic bytes and decompressed, streaming, into a private
 * temporary file, which is then indexed like any tar. Random access into a compressed
 * stream is not possible, and a temporary copy keeps memory constant whatever the
 * archive's size. The copy goes where containers/image puts big temporary files:
 * `$TMPDIR`, else /var/tmp.
 */
import { createReadStream, createWriteStream, existsSync } from 'node:fs';
import { mkdir, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { Transform, type TransformCallback } from 'node:stream';
import { pipeline } from 'node:stream/promises';
import { createGunzip } from 'node:zlib';
import { ImgsealError } from '../../errors.js';
import { ownedName, removeStaleLeftovers } from '../../util/lock/index.js';
import { abortedError } from '../../util/abort.js';

export type ArchiveCompression = 'none' | 'gzip' | 'zstd' | 'xz' | 'bzip2';

const MAGIC: [ArchiveCompression, number[]][] = [
  ['gzip', [0x1f, 0x8b]],
  ['zstd', [0x28, 0xb5, 0x2f, 0xfd]],
  ['xz', [0xfd, 0x37, 0x7a, 0x58, 0x5a, 0x00]],
  ['bzip2', [0x42, 0x5a, 0x68]],
];

/** What the first bytes of a file say about its compression. */
export function detectCompression(head: Uint8Array): ArchiveCompression {
  for (const [kind, magic] of MAGIC) {
    if (head.length >= magic.length && magic.every((b, i) => head[i] === b)) return kind;
  }
  return 'none';
}

/** Where big temporary files go: `$TMPDIR`, else /var/tmp (not a RAM-backed /tmp). */
export function bigFileTempDir(): string {
  if (process.env.TMPDIR) return process.env.TMPDIR;
  return existsSync('/var/tmp') ? '/var/tmp' : tmpdir();
}

/** fzstd's push decoder as a Transform (loaded only when a zstd archive is read). */
async function zstdStream(): Promise<Transform> {
  const { Decompress } = await import('fzstd');
  let decoder: InstanceType<typeof Decompress> | undefined;
  return new Transform({
    transform(this: Transform, chunk: Buffer, _enc: BufferEncoding, cb: TransformCallback) {
      try {
        decoder ??= new Decompress((out) => this.push(Buffer.from(out.buffer, out.byteOffset, out.byteLength)));
        decoder.push(chunk);
        cb();
      } catch (err) {
        cb(err as Error);
      }
    },
    flush(this: Transform, cb: TransformCallback) {
      try {
        decoder?.push(new Uint8Array(0), true);
        cb();
      } catch (err) {
        cb(err as Error);
      }
    },
  });
}

const TEMP_PREFIX = 'imgseal-archive-';

export interface DecompressedArchive {
  /** The uncompressed tar. */
  path: string;
  /** Removes the temporary copy. */
  remove(): Promise<void>;
}

/**
 * Decompresses `file` into a new private folder (mode 0700, the tar 0600: image
 * content may be confidential). xz and bzip2 are refused: Node has no decoder for them.
 */
export async function decompressArchive(file: string, kind: ArchiveCompression, signal?: AbortSignal): Promise<DecompressedArchive> {
  if (kind === 'xz' || kind === 'bzip2') {
    throw new ImgsealError('UNSUPPORTED_MEDIA_TYPE', `${file} is ${kind}-compressed; imgseal reads tar, gzip and zstd archives (decompress it first)`);
  }
  // Owner-named: the copies a killed imgseal left are removed here by the next one.
  const tempRoot = bigFileTempDir();
  await removeStaleLeftovers(tempRoot, [TEMP_PREFIX]);
  const dir = join(tempRoot, ownedName(TEMP_PREFIX));
  await mkdir(dir, { mode: 0o700 });
  const path = join(dir, 'archive.tar');
  const remove = (): Promise<void> => rm(dir, { recursive: true, force: true });
  try {
    const decoder = kind === 'gzip' ? createGunzip() : await zstdStream();
    // The stop signal ends a decompression that would run for minutes on a big archive.
    await pipeline(createReadStream(file), decoder, createWriteStream(path, { mode: 0o600, highWaterMark: 1 << 20 }), signal ? { signal } : {});
  } catch (err) {
    await remove();
    if (signal?.aborted) throw abortedError(signal);
    if (err instanceof ImgsealError) throw err;
    const e = err as NodeJS.ErrnoException;
    if (e.code === 'ENOSPC' || e.code === 'EACCES' || e.code === 'EROFS') {
      throw new ImgsealError('IO_ERROR', `${file}: cannot decompress into ${dirname(path)}: ${e.message}`, { cause: err });
    }
    throw new ImgsealError('MANIFEST_INVALID', `${file}: ${kind} data is corrupt or truncated (${e.message})`, { cause: err });
  }
  return { path, remove };
}
