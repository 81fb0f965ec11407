/**
 * An exclusive lock on a shared file's read-modify-write (index.json of a layout, a
 * `dir:` image, auth.json, trust and key folders), between processes and within one.
 *
 * The lock is a file created exclusively (written whole under a temporary name, then
 * hard-linked into place, which fails when the lock exists) holding its owner: pid,
 * start token, host, time. A lock whose owner is gone (killed; see owner.ts) is stale
 * and is broken, by one breaker at a time, so a live lock is never removed. A lock held
 * by a live process is waited for, with a bound; the error then names the lock file and
 * its owner.
 */
import { link, open, readFile, unlink, writeFile } from 'node:fs/promises';
import { basename, dirname, join } from 'node:path';
import { ImgsealError } from '../../errors.js';
import { abortedError, throwIfAborted } from '../abort.js';
import { ownedName } from './leftovers.js';
import { currentOwner, ownerIsGone, type Owner } from './owner.js';

export interface FileLockOptions {
  /** How long to wait for a live holder before failing with LOCK_TIMEOUT (default 60 s). */
  timeoutMs?: number;
  signal?: AbortSignal;
  /** For messages: what is being changed (e.g. `oci:/x:v1`). */
  what?: string;
}

export const DEFAULT_LOCK_TIMEOUT_MS = 60_000;

interface LockRecord extends Owner {
  since: string;
}

/** Runs `fn` while holding the lock file `lockPath` (created beside what it guards). */
export async function withFileLock<T>(lockPath: string, fn: () => Promise<T>, opts: FileLockOptions = {}): Promise<T> {
  const mine = await acquire(lockPath, opts);
  try {
    return await fn();
  } finally {
    await release(lockPath, mine);
  }
}

/** Prefixes of the temporary names a lock (and its breaker) is written under before it is linked into place. */
export function lockTempPrefixes(lockPath: string): string[] {
  return [tempPrefix(lockPath), tempPrefix(`${lockPath}.break`)];
}

function tempPrefix(lockPath: string): string {
  return `.${basename(lockPath)}.`;
}

async function acquire(lockPath: string, opts: FileLockOptions): Promise<string> {
  const record: LockRecord = { ...currentOwner(), since: new Date().toISOString() };
  const content = JSON.stringify(record);
  const timeout = opts.timeoutMs ?? DEFAULT_LOCK_TIMEOUT_MS;
  const deadline = Date.now() + timeout;
  let pause = 2;
  for (;;) {
    throwIfAborted(opts.signal);
    if (await tryCreate(lockPath, content)) return content;
    const held = await readLock(lockPath);
    if (held === undefined) continue; // released meanwhile
    if (held.record && ownerIsGone(held.record)) {
      await breakStale(lockPath, held.text);
      continue;
    }
    if (Date.now() >= deadline) throw timeoutError(lockPath, held.record, timeout, opts.what);
    await sleep(Math.min(pause, Math.max(1, deadline - Date.now())), opts.signal);
    pause = Math.min(100, pause * 1.5) + Math.random() * 2;
  }
}

/** Creates the lock with its content complete, or returns false when it exists. */
async function tryCreate(lockPath: string, content: string): Promise<boolean> {
  const tmp = join(dirname(lockPath), ownedName(tempPrefix(lockPath), '.tmp'));
  await writeFile(tmp, content, { mode: 0o600, flag: 'wx' });
  try {
    await link(tmp, lockPath);
    return true;
  } catch (err) {
    const code = (err as NodeJS.ErrnoException).code;
    if (code === 'EEXIST') return false;
    if (code !== 'EPERM' && code !== 'ENOTSUP' && code !== 'EOPNOTSUPP') throw lockIoError(lockPath, err);
    // A file system without hard links: exclusive create, then write.
    return createExclusive(lockPath, content);
  } finally {
    await unlink(tmp).catch(() => {});
  }
}

async function createExclusive(lockPath: string, content: string): Promise<boolean> {
  let fh;
  try {
    fh = await open(lockPath, 'wx', 0o600);
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code === 'EEXIST') return false;
    throw lockIoError(lockPath, err);
  }
  try {
    await fh.writeFile(content);
  } finally {
    await fh.close();
  }
  return true;
}

async function readLock(lockPath: string): Promise<{ text: string; record: LockRecord | undefined } | undefined> {
  let text: string;
  try {
    text = await readFile(lockPath, 'utf8');
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code === 'ENOENT') return undefined;
    throw lockIoError(lockPath, err);
  }
  return { text, record: parseRecord(text) };
}

function parseRecord(text: string): LockRecord | undefined {
  try {
    const r = JSON.parse(text) as Partial<LockRecord>;
    if (typeof r.pid === 'number' && typeof r.token === 'string' && typeof r.hostname === 'string') {
      return { pid: r.pid, token: r.token, hostname: r.hostname, since: String(r.since ?? '') };
    }
  } catch {
    // not a lock of ours: never broken automatically
  }
  return undefined;
}

/**
 * Removes a stale lock, but only the one that was seen: breakers take turns through a
 * second lock, so none can remove a lock another process took after the stale one went.
 */
async function breakStale(lockPath: string, staleText: string): Promise<void> {
  const breaker = `${lockPath}.break`;
  const content = JSON.stringify({ ...currentOwner(), since: new Date().toISOString() });
  if (!(await tryCreate(breaker, content))) {
    const other = await readLock(breaker);
    // A breaker killed while breaking leaves its file; its owner is gone, so it goes too.
    if (other?.record && ownerIsGone(other.record)) await unlink(breaker).catch(() => {});
    else await sleep(2);
    return;
  }
  try {
    const now = await readLock(lockPath);
    if (now?.text === staleText) await unlink(lockPath).catch(() => {});
  } finally {
    await unlink(breaker).catch(() => {});
  }
}

async function release(lockPath: string, mine: string): Promise<void> {
  const now = await readLock(lockPath).catch(() => undefined);
  if (now?.text === mine) await unlink(lockPath).catch(() => {});
}

function timeoutError(lockPath: string, holder: LockRecord | undefined, timeoutMs: number, what?: string): ImgsealError {
  const who = holder ? `imgseal pid ${holder.pid} on ${holder.hostname}${holder.since ? ` since ${holder.since}` : ''}` : 'an unknown owner';
  const prefix = what ? `${what}: ` : '';
  return new ImgsealError(
    'LOCK_TIMEOUT',
    `${prefix}gave up after ${Math.round(timeoutMs / 1000)} s waiting for ${lockPath}, held by ${who}; if that process no longer runs, remove the file`,
  );
}

function lockIoError(lockPath: string, err: unknown): ImgsealError {
  return new ImgsealError('IO_ERROR', `lock ${lockPath}: ${(err as Error).message}`, { cause: err });
}

function sleep(ms: number, signal?: AbortSignal): Promise<void> {
  return new Promise((resolve, reject) => {
    const onAbort = (): void => {
      clearTimeout(t);
      reject(abortedError(signal as AbortSignal));
    };
    const t = setTimeout(() => {
      signal?.removeEventListener('abort', onAbort);
      resolve();
    }, ms);
    signal?.addEventListener('abort', onAbort, { once: true });
  });
}
