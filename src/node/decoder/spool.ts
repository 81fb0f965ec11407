/**
 * A private spool file for plaintext that is not verified yet. The file is created
 * 0600 in a fresh 0700 folder under the temporary directory (containerd sets TMPDIR
 * to its own temp folder) and both are unlinked at once, before a byte is written: the
 * open descriptor is the only way to the data, so nothing is left behind however the
 * process ends (exit, signal, even SIGKILL), and no other process can open it.
 */
import { mkdtempSync, openSync, closeSync, rmSync, unlinkSync, rmdirSync, createReadStream, createWriteStream, type ReadStream, type WriteStream } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { ImgsealError } from '../../errors.js';

/**
 * 1 MiB reads and write batches instead of the 64 KiB / 16 KiB defaults: fewer spool
 * syscalls and per-chunk stream callbacks (a 256 MiB layer on the shared 2-core machine:
 * ~15% less decoder CPU, within noise on RSS since the memory pacer frees the chunks).
 */
const SPOOL_CHUNK = 1 << 20;

export class Spool {
  /** Write and read ends, each handed to (and closed by) one stream. */
  private writeFd: number | undefined;
  private readFd: number | undefined;

  constructor(parent = tmpdir()) {
    let dir: string;
    try {
      dir = mkdtempSync(join(parent, 'imgseal-decoder-'));
    } catch (err) {
      throw new ImgsealError('IO_ERROR', `cannot create a private spool folder in ${parent}: ${(err as NodeJS.ErrnoException).code ?? 'error'}`, { cause: err });
    }
    const file = join(dir, 'layer');
    try {
      this.writeFd = openSync(file, 'wx', 0o600);
      this.readFd = openSync(file, 'r');
      unlinkSync(file);
      rmdirSync(dir);
    } catch (err) {
      this.close();
      rmSync(dir, { recursive: true, force: true });
      throw new ImgsealError('IO_ERROR', `cannot create a private spool file in ${parent}: ${(err as NodeJS.ErrnoException).code ?? 'error'}`, { cause: err });
    }
  }

  /** Where the unverified plaintext goes (once). */
  writer(): WriteStream {
    const fd = this.take('writeFd');
    return createWriteStream('', { fd, start: 0, highWaterMark: SPOOL_CHUNK });
  }

  /** The spooled bytes from the start (once); only for data that passed every check. */
  reader(): ReadStream {
    const fd = this.take('readFd');
    return createReadStream('', { fd, start: 0, highWaterMark: SPOOL_CHUNK });
  }

  /** Closes what no stream took; the data is gone with the last descriptor. */
  close(): void {
    for (const k of ['writeFd', 'readFd'] as const) {
      const fd = this[k];
      this[k] = undefined;
      if (fd !== undefined) closeSync(fd);
    }
  }

  private take(k: 'writeFd' | 'readFd'): number {
    const fd = this[k];
    if (fd === undefined) throw new ImgsealError('INTERNAL', 'spool stream taken twice');
    this[k] = undefined;
    return fd;
  }
}
