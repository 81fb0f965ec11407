/**
 * Who owns a lock or a staging folder, in a form another process can check later:
 * a process id plus a token of that process's start (Linux: boot id + start time from
 * /proc), so that a pid reused after a crash or a reboot is not mistaken for the owner.
 * A name or lock of a process that is gone is stale and may be removed; one whose owner
 * still runs (or whose liveness cannot be told, e.g. another host) is never touched.
 */
import { createHash } from 'node:crypto';
import { readFileSync } from 'node:fs';
import { hostname } from 'node:os';

export interface Owner {
  pid: number;
  /** 8 base-36 characters naming the process's start; '' where it cannot be known. */
  token: string;
  hostname: string;
}

function readProc(path: string): string | undefined {
  try {
    return readFileSync(path, 'utf8');
  } catch {
    return undefined;
  }
}

/** Field 22 of /proc/PID/stat (start time in clock ticks since boot); the command name may hold spaces and parens. */
function procStartTime(pid: number): string | undefined {
  const stat = readProc(`/proc/${pid}/stat`);
  if (stat === undefined) return undefined;
  const fields = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
  return fields[19]; // fields[0] is field 3 (state)
}

let bootId: string | undefined | null = null;

function tokenOf(pid: number): string | undefined {
  if (bootId === null) bootId = readProc('/proc/sys/kernel/random/boot_id')?.trim();
  const start = procStartTime(pid);
  if (bootId === undefined || start === undefined) return undefined;
  const h = createHash('sha256').update(`${bootId}:${start}`).digest();
  return h.readBigUInt64BE().toString(36).padStart(13, '0').slice(0, 8);
}

let self: Owner | undefined;

/** This process. */
export function currentOwner(): Owner {
  self ??= { pid: process.pid, token: tokenOf(process.pid) ?? '', hostname: hostname() };
  return self;
}

/** `PID.TOKEN`: the part of a file name that says who made it. */
export function ownerTag(owner: Owner = currentOwner()): string {
  return owner.token ? `${owner.pid}.${owner.token}` : `${owner.pid}`;
}

/** Parses the start of `text` as an owner tag; returns it and what follows. */
export function parseOwnerTag(text: string): { pid: number; token: string; rest: string } | undefined {
  const m = /^(\d{1,10})(?:\.([0-9a-z]{8}))?(.*)$/s.exec(text);
  if (!m) return undefined;
  const pid = Number(m[1]);
  if (!Number.isSafeInteger(pid) || pid <= 0) return undefined;
  return { pid, token: m[2] ?? '', rest: m[3] ?? '' };
}

function pidRuns(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch (err) {
    // EPERM: it exists, it is someone else's.
    return (err as NodeJS.ErrnoException).code === 'EPERM';
  }
}

/**
 * True only when the owner is certainly gone: same host, and no process with that pid
 * runs, or the one that does started at another time (its token differs).
 */
export function ownerIsGone(owner: { pid: number; token: string; hostname?: string }): boolean {
  if (owner.hostname !== undefined && owner.hostname !== currentOwner().hostname) return false;
  if (owner.pid === process.pid) return owner.token !== '' && currentOwner().token !== '' && owner.token !== currentOwner().token;
  if (!pidRuns(owner.pid)) return true;
  if (owner.token === '') return false;
  const now = tokenOf(owner.pid);
  return now !== undefined && now !== owner.token;
}
