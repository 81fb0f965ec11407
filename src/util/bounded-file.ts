/**
 * Reading a small file whole, safely: only a regular file (a FIFO would block forever,
 * /dev/zero never ends, a character device may do anything), and never more than a
 * limit, enforced while reading.
 */
import { constants } from 'node:fs';
import { open, type FileHandle } from 'node:fs/promises';

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
  let fh: FileHandle;
  try {
    fh = await open(path, constants.O_RDONLY | constants.O_NONBLOCK | (opts.noFollow ? constants.O_NOFOLLOW : 0));
  } catch (err) {
    const e = err as NodeJS.ErrnoException;
    if (e.code === 'ELOOP' && opts.noFollow) throw new BoundedReadError(path, { kind: 'not-regular', what: 'a symbolic link' });
    const kind = e.code === 'ENOENT' || e.code === 'ENOTDIR' ? 'missing' : e.code === 'EACCES' || e.code === 'EPERM' ? 'denied' : e.code === 'EISDIR' ? 'directory' : 'io';
    throw new BoundedReadError(path, { kind, cause: e });
  }
  try {
    const st = await fh.stat();
    if (st.isDirectory()) throw new BoundedReadError(path, { kind: 'directory', cause: Object.assign(new Error('is a directory'), { code: 'EISDIR' }) });
    if (!st.isFile()) throw new BoundedReadError(path, { kind: 'not-regular', what: fileKind(st) });
    if (st.size > limit) throw new BoundedReadError(path, { kind: 'too-large', limit });
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

function fileKind(st: { isFIFO(): boolean; isCharacterDevice(): boolean; isBlockDevice(): boolean; isSocket(): boolean; isSymbolicLink(): boolean }): string {
  if (st.isFIFO()) return 'a FIFO';
  if (st.isCharacterDevice()) return 'a character device';
  if (st.isBlockDevice()) return 'a block device';
  if (st.isSocket()) return 'a socket';
  return 'a special file';
}
