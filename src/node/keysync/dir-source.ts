/**
 * Secrets from a mounted Secret volume (kubelet's layout): a timestamped folder
 * `..2026_12_01_20_00_00.123`, a `..data` link to it and one link per key to
 * `..data/<key>`. kubelet swaps `..data` atomically, so reading through it gives one
 * consistent version. No API is involved: the volume holds only data, so the Secret
 * name and type come from the command line.
 */
import { createHash } from 'node:crypto';
import { watch, type FSWatcher } from 'node:fs';
import { readdir, readFile, stat } from 'node:fs/promises';
import { basename, join } from 'node:path';
import { ImgsealError } from '../../errors.js';
import type { SecretRecord } from './secrets.js';

export interface VolumeSecretOptions {
  dir: string;
  namespace: string;
  /** Default: the folder's name. */
  name?: string;
  type: 'key' | 'kp-key';
}

export async function readSecretVolume(opts: VolumeSecretOptions): Promise<SecretRecord> {
  const { dir } = opts;
  let base = dir;
  try {
    if ((await stat(join(dir, '..data'))).isDirectory()) base = join(dir, '..data');
  } catch {
    // not kubelet's layout: plain files in the folder
  }
  let names: string[];
  try {
    names = (await readdir(base)).filter((n) => !n.startsWith('.')).sort();
  } catch (err) {
    throw new ImgsealError('KEY_SYNC', `cannot read Secret volume ${dir}: ${(err as NodeJS.ErrnoException).code ?? 'error'}`);
  }
  const data: Record<string, Buffer> = {};
  const hash = createHash('sha256');
  for (const n of names) {
    const p = join(base, n);
    const st = await stat(p).catch(() => undefined);
    if (!st?.isFile()) continue;
    const content = await readFile(p);
    data[n] = content;
    hash.update(`${n}\0${content.length}\0`).update(content);
  }
  return { namespace: opts.namespace, name: opts.name ?? basename(dir.replace(/\/+$/, '')), type: opts.type, data, annotations: {}, version: hash.digest('hex') };
}

/**
 * Calls `onChange` (debounced) whenever the folder changes, and every `resyncMs` as a
 * safety net for missed events. Returns a stop function.
 */
export function watchSecretVolume(dir: string, onChange: () => void, resyncMs: number): () => void {
  let timer: NodeJS.Timeout | undefined;
  const kick = (): void => {
    if (timer) clearTimeout(timer);
    timer = setTimeout(onChange, 100);
  };
  let watcher: FSWatcher | undefined;
  try {
    watcher = watch(dir, { persistent: true }, kick);
    watcher.on('error', () => undefined);
  } catch {
    watcher = undefined; // the periodic resync still runs
  }
  const interval = setInterval(onChange, resyncMs);
  return () => {
    watcher?.close();
    clearInterval(interval);
    if (timer) clearTimeout(timer);
  };
}
