/**
 * The key directory as the key-sync agent keeps it. Runtimes read every file in it and
 * fail on symlinks and stray files (CRI-O, ctd-decoder), so it holds regular files
 * only, each written 0600 to a temporary name and renamed into place (a reader sees
 * the old key or the new one, never half of one). The agent owns exactly the files
 * whose names start with its prefix (`keysync_<namespace>_`); nothing else in the
 * directory is read, changed or removed.
 */
import { randomBytes } from 'node:crypto';
import { fchmodSync } from 'node:fs';
import { lstat, open, readdir, readFile, rename, unlink } from 'node:fs/promises';
import { join } from 'node:path';
import { ImgsealError } from '../../errors.js';

export interface KeyFile {
  /** File name inside the key directory (no folder). */
  name: string;
  content: Buffer;
}

/** Kubernetes names ([a-z0-9.-]) never contain "_", so the parts cannot run together. */
export function keyFileName(namespace: string, secret: string, key: string): string {
  return `keysync_${namespace}_${secret}_${key}`;
}

export function ownedPrefix(namespace: string): string {
  return `keysync_${namespace}_`;
}

function ioError(what: string, err: unknown): ImgsealError {
  return new ImgsealError('KEY_SYNC', `${what}: ${(err as NodeJS.ErrnoException).code ?? (err as Error).message}`, { cause: err });
}

/** The owned regular files' names now in `dir` (temporary files excluded). */
export async function ownedFiles(dir: string, prefix: string): Promise<string[]> {
  let names: string[];
  try {
    names = await readdir(dir);
  } catch (err) {
    throw ioError(`cannot list key directory ${dir}`, err);
  }
  return names.filter((n) => n.startsWith(prefix)).sort();
}

/** Writes `file` unless the same bytes are already there as a regular file; true when it wrote. */
export async function writeKeyFile(dir: string, file: KeyFile): Promise<boolean> {
  const path = join(dir, file.name);
  try {
    const st = await lstat(path);
    if (st.isFile() && (st.mode & 0o777) === 0o600 && (await readFile(path)).equals(file.content)) return false;
  } catch {
    // missing or unreadable: write it
  }
  // Hidden temporary name: readers that skip dot files (imgseal decoder) never see it.
  const tmp = join(dir, `.${file.name}.tmp-${randomBytes(6).toString('hex')}`);
  let fh;
  try {
    fh = await open(tmp, 'wx', 0o600);
  } catch (err) {
    throw ioError(`cannot write in key directory ${dir}`, err);
  }
  try {
    fchmodSync(fh.fd, 0o600); // whatever the umask
    await fh.writeFile(file.content);
    await fh.sync();
    await fh.close();
    fh = undefined;
    await rename(tmp, path);
  } catch (err) {
    await fh?.close().catch(() => undefined);
    await unlink(tmp).catch(() => undefined);
    throw ioError(`cannot write key file ${path}`, err);
  }
  return true;
}

export async function removeKeyFile(dir: string, name: string): Promise<boolean> {
  try {
    await unlink(join(dir, name));
    return true;
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code === 'ENOENT') return false;
    throw ioError(`cannot remove key file ${join(dir, name)}`, err);
  }
}

/** Temporary files of ours left by a crash (never whole keys anyone reads). */
export async function removeStaleTemporaries(dir: string, prefix: string): Promise<void> {
  let names: string[];
  try {
    names = await readdir(dir);
  } catch {
    return;
  }
  for (const n of names) {
    if (n.startsWith(`.${prefix}`) && n.includes('.tmp-')) await unlink(join(dir, n)).catch(() => undefined);
  }
}
