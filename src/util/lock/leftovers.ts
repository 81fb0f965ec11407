/**
 * Temporary files and staging folders named by their owner, so that what a killed
 * process (kill -9, a power cut of the process, OOM) left behind can be recognised and
 * removed by the next writer, while a live writer's folder is never touched.
 * A name is PREFIX + `PID.TOKEN-RANDOM` + SUFFIX (see owner.ts).
 */
import { randomBytes } from 'node:crypto';
import { readdir, rm } from 'node:fs/promises';
import { join } from 'node:path';
import { ownerIsGone, ownerTag, parseOwnerTag } from './owner.js';

/** A fresh name owned by this process: `${prefix}PID.TOKEN-RANDOM${suffix}`. */
export function ownedName(prefix: string, suffix = ''): string {
  return `${prefix}${ownerTag()}-${randomBytes(4).toString('hex')}${suffix}`;
}

/** For a name made by ownedName(prefix, …): whether its owner is certainly gone. */
export function isStaleName(name: string, prefix: string): boolean {
  if (!name.startsWith(prefix)) return false;
  const tag = parseOwnerTag(name.slice(prefix.length));
  // `-RANDOM…` must follow; anything else is not ours and is left alone.
  if (!tag || !/^-[0-9a-f]+/.test(tag.rest)) return false;
  return ownerIsGone(tag);
}

/**
 * Removes every entry of `dir` named `${prefix}…` whose owner is gone. `keep` may claim
 * an entry instead (e.g. to restore it); it returns true when it dealt with it.
 * Returns the names removed. A folder that cannot be listed is no error: there is
 * nothing to clean.
 */
export async function removeStaleLeftovers(dir: string, prefixes: readonly string[], keep?: (name: string) => Promise<boolean>): Promise<string[]> {
  let names: string[];
  try {
    names = await readdir(dir);
  } catch {
    return [];
  }
  const removed: string[] = [];
  for (const name of names) {
    if (!prefixes.some((p) => isStaleName(name, p))) continue;
    if (keep && (await keep(name))) continue;
    await rm(join(dir, name), { recursive: true, force: true }).catch(() => {});
    removed.push(name);
  }
  return removed;
}
