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

export class Spool {
  private readonly fd: number;
  private closed = false;

  constructor(parent = tmpdir()) {
    let dir: string;
    try {
      dir = mkdtempSync(join(parent, 'imgseal-decoder-'));
    } catch (err) {
      throw new ImgsealError('IO_ERROR', `cannot create a private spool folder in ${parent}: ${(err as NodeJS.ErrnoException).code ?? 'error'}`, { cause: err });
    }
    const file = join(dir, 'layer');
    try {
      this.fd = openSync(file, 'wx+', 0o600);
      unlinkSync(file);
      rmdirSync(dir);
    } catch (err) {
      rmSync(dir, { recursive: true, force: true });
      throw new ImgsealError('IO_ERROR', `cannot create a private spool file in ${parent}: ${(err as NodeJS.ErrnoException).code ?? 'error'}`, { cause: err });
    }
  }

  /** Where the unverified plaintext goes; the descriptor stays open. */
  writer(): WriteStream {
    return createWriteStream('', { fd: this.fd, autoClose: false, start: 0 });
  }

  /** The spooled bytes from the start; only for data that passed every check. */
  reader(): ReadStream {
    return createReadStream('', { fd: this.fd, autoClose: false, start: 0 });
  }

  close(): void {
    if (this.closed) return;
    this.closed = true;
    closeSync(this.fd);
  }
}
