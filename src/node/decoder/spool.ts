/**
 * A private spool file for plaintext that is not verified yet. The file is created
 * 0600 in a fresh 0700 folder under the temporary directory (containerd sets TMPDIR
 * to its own temp folder) and both are unlinked at once, before a byte is written: the
 * open descriptor is the only way to the data, so nothing is left behind however the
 * process ends (exit, signal, even SIGKILL), and no other process can open it.
 */
import { mkdtempSync, openSync, closeSync, rmSync, unlinkSync, rmdirSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { ImgsealError } from '../../errors.js';

export class Spool {
  /** Write and read ends (positioned I/O, fd-pump.ts); both closed by close(). */
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

  /** The descriptors, for positioned reads and writes (until close()). */
  get fds(): { write: number; read: number } {
    if (this.writeFd === undefined || this.readFd === undefined) throw new ImgsealError('INTERNAL', 'spool used after close');
    return { write: this.writeFd, read: this.readFd };
  }

  /** Closes both ends; the data is gone with the last descriptor. */
  close(): void {
    for (const k of ['writeFd', 'readFd'] as const) {
      const fd = this[k];
      this[k] = undefined;
      if (fd !== undefined) closeSync(fd);
    }
  }
}
