/**
 * Writing a file so that readers see the old content or the new, never a part: a
 * temporary file in the same folder, created with its final mode (so a secret is never
 * readable by others, not even for a moment), synced, then renamed into place.
 */
import { randomBytes } from 'node:crypto';
import { link, mkdir, open, rename, rm } from 'node:fs/promises';
import { basename, dirname, join } from 'node:path';
import { ImgsealError } from '../errors.js';

export interface AtomicWriteOptions {
  mode?: number;
  /** Refuse to replace an existing file (EEXIST → IO_ERROR naming it). */
  exclusive?: boolean;
}

export async function writeFileAtomic(path: string, data: string | Uint8Array, opts: AtomicWriteOptions = {}): Promise<void> {
  const dir = dirname(path);
  await mkdir(dir, { recursive: true, mode: 0o700 });
  const tmp = join(dir, `.${basename(path)}.${randomBytes(6).toString('hex')}.tmp`);
  const fh = await open(tmp, 'wx', opts.mode ?? 0o600);
  try {
    await fh.writeFile(data);
    await fh.sync();
  } finally {
    await fh.close();
  }
  try {
    // link() fails when the name exists: the exclusive form never replaces a file.
    if (opts.exclusive) await link(tmp, path);
    else await rename(tmp, path);
  } catch (err) {
    const e = err as NodeJS.ErrnoException;
    throw new ImgsealError('IO_ERROR', e.code === 'EEXIST' ? `${path} exists already` : `writing ${path}: ${e.message}`, { cause: err });
  } finally {
    await rm(tmp, { force: true });
  }
}
