/**
 * Reading a small file whole, safely: only a regular file (a FIFO would block forever,
 * /dev/zero never ends, a character device may do anything), and never more than a
 * limit, enforced while reading.
 */
import { closeSync, constants, fstatSync, openSync, readSync, type Stats } from 'node:fs';
import { open, type FileHandle } from 'node:fs/promises';

/**
 * Limits up to this size are read with synchronous calls. Through fs/promises a small
 * file costs five thread-pool round trips (open, stat, read, the read that sees the
 * end, close): ~0.9 ms of main-thread time for a 4 KiB blob, 174 ms of a 200-layer
 * push's 1.0 CPU-s (bench/README.md). The synchronous calls take microseconds on a
 * local file and at most one bounded copy, so blocking the loop for them costs less.
 */
export const SYNC_READ_LIMIT = 1 << 20;

export type BoundedReadFailure =
  | { kind: 'missing' | 'denied' | 'directory' | 'io'; cause: NodeJS.ErrnoException }
  | { kind: 'not-regular'; what: string }
  | { kind: 'too-large'; limit: number };

/** Thrown by readBoundedFile; callers turn it into their own ImgsealError and message. */
export class BoundedReadError extends Error {
  constructor(
    readonly path: string,
    readonly failure: BoundedReadFailure,
  ) {
    super(`${path}: ${describeFailure(failure)}`);
  }
}

export function describeFailure(f: BoundedReadFailure): string {
  switch (f.kind) {
    case 'missing':
      return 'no such file';
    case 'denied':
      return 'permission denied';
    case 'directory':
      return 'is a directory';
    case 'io':
      return f.cause.code ?? f.cause.message;
    case 'not-regular':
      return `not a regular file (${f.what})`;
    case 'too-large':
      return `larger than the ${f.limit} bytes allowed`;
  }
}

/**
 * The whole content of the regular file at `path`, at most `limit` bytes. Symbolic
 * links are followed unless `noFollow` (then a link is refused as not regular).
 * The file is opened non-blocking, so a FIFO is refused instead of waited on, and
 * the type is checked on the open handle (no window between check and read).
 */
export async function readBoundedFile(path: string, limit: number, opts: { noFollow?: boolean } = {}): Promise<Buffer> {
  if (limit <= SYNC_READ_LIMIT) return readBoundedFileSync(path, limit, opts);
  let fh: FileHandle;
  try {
    fh = await open(path, openFlags(opts));
  } catch (err) {
    throw openFailure(path, err, opts);
  }
  try {
    const st = await fh.stat();
    checkOpened(path, st, limit);
    // The size can change under us: keep reading up to one byte past the limit.
    const chunks: Buffer[] = [];
    let n = 0;
    let buf = Buffer.allocUnsafe(Math.min(limit + 1, st.size + 1));
    let used = 0;
    for (;;) {
      const { bytesRead } = await fh.read(buf, used, buf.length - used, n);
      if (bytesRead === 0) break;
      used += bytesRead;
      n += bytesRead;
      if (n > limit) throw new BoundedReadError(path, { kind: 'too-large', limit });
      if (used === buf.length) {
        chunks.push(buf);
        buf = Buffer.allocUnsafe(Math.min(limit + 1 - n, 64 << 10));
        used = 0;
      }
    }
    chunks.push(buf.subarray(0, used));
    return chunks.length === 1 ? (chunks[0] as Buffer) : Buffer.concat(chunks, n);
  } catch (err) {
    if (err instanceof BoundedReadError) throw err;
    throw new BoundedReadError(path, { kind: 'io', cause: err as NodeJS.ErrnoException });
  } finally {
    await fh.close();
  }
}

function openFlags(opts: { noFollow?: boolean }): number {
  return constants.O_RDONLY | constants.O_NONBLOCK | (opts.noFollow ? constants.O_NOFOLLOW : 0);
}

function openFailure(path: string, err: unknown, opts: { noFollow?: boolean }): BoundedReadError {
  const e = err as NodeJS.ErrnoException;
  if (e.code === 'ELOOP' && opts.noFollow) return new BoundedReadError(path, { kind: 'not-regular', what: 'a symbolic link' });
  const kind = e.code === 'ENOENT' || e.code === 'ENOTDIR' ? 'missing' : e.code === 'EACCES' || e.code === 'EPERM' ? 'denied' : e.code === 'EISDIR' ? 'directory' : 'io';
  return new BoundedReadError(path, { kind, cause: e });
}

/** The type and size checks on the open descriptor; throws what a caller reports. */
function checkOpened(path: string, st: Stats, limit: number): void {
  if (st.isDirectory()) throw new BoundedReadError(path, { kind: 'directory', cause: Object.assign(new Error('is a directory'), { code: 'EISDIR' }) });
  if (!st.isFile()) throw new BoundedReadError(path, { kind: 'not-regular', what: fileKind(st) });
  if (st.size > limit) throw new BoundedReadError(path, { kind: 'too-large', limit });
}

/** readBoundedFile for limits up to SYNC_READ_LIMIT: the same checks, in one buffer. */
function readBoundedFileSync(path: string, limit: number, opts: { noFollow?: boolean }): Buffer {
  let fd: number;
  try {
    fd = openSync(path, openFlags(opts));
  } catch (err) {
    throw openFailure(path, err, opts);
  }
  try {
    const st = fstatSync(fd);
    checkOpened(path, st, limit);
    // The size can change under us: the buffer has room for one byte more than the
    // file had, and grows (never past limit + 1) while the file does.
    let buf = Buffer.allocUnsafe(Math.min(limit + 1, st.size + 1));
    let n = 0;
    for (;;) {
      if (n === buf.length) {
        const bigger = Buffer.allocUnsafe(Math.min(limit + 1, buf.length * 2));
        buf.copy(bigger, 0, 0, n);
        buf = bigger;
      }
      const got = readSync(fd, buf, n, buf.length - n, n);
      if (got === 0) break;
      n += got;
      if (n > limit) throw new BoundedReadError(path, { kind: 'too-large', limit });
    }
    return buf.subarray(0, n);
  } catch (err) {
    if (err instanceof BoundedReadError) throw err;
    throw new BoundedReadError(path, { kind: 'io', cause: err as NodeJS.ErrnoException });
  } finally {
    closeSync(fd);
  }
}

function fileKind(st: { isFIFO(): boolean; isCharacterDevice(): boolean; isBlockDevice(): boolean; isSocket(): boolean; isSymbolicLink(): boolean }): string {
  if (st.isFIFO()) return 'a FIFO';
  if (st.isCharacterDevice()) return 'a character device';
  if (st.isBlockDevice()) return 'a block device';
  if (st.isSocket()) return 'a socket';
  return 'a special file';
}
