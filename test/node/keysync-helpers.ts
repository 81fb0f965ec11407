// Running `imgseal keysync` as a child process and waiting for what it does.
import { spawn, type ChildProcess } from 'node:child_process';
import { mkdirSync, renameSync, rmSync, symlinkSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { CLI_MAIN } from '../testkit/cli.js';

export interface Agent {
  child: ChildProcess;
  audit: Record<string, string>[];
  stdout: () => string;
  stderr: () => string;
  stop: () => Promise<number | null>;
}

export function startAgent(args: string[], env: Record<string, string> = {}): Agent {
  const child = spawn(process.execPath, [CLI_MAIN, 'keysync', ...args], { env: { ...process.env, IMGSEAL_DEBUG: '', ...env }, stdio: ['ignore', 'pipe', 'pipe'] });
  let out = '';
  let err = '';
  const audit: Record<string, string>[] = [];
  child.stdout?.setEncoding('utf8').on('data', (d: string) => {
    out += d;
    audit.length = 0;
    for (const l of out.split('\n')) if (l.trim()) audit.push(JSON.parse(l) as Record<string, string>);
  });
  child.stderr?.setEncoding('utf8').on('data', (d: string) => (err += d));
  const exited = new Promise<number | null>((resolve) => child.on('close', (code) => resolve(code)));
  return {
    child,
    audit,
    stdout: () => out,
    stderr: () => err,
    stop: async () => {
      child.kill('SIGTERM');
      // A stuck agent must fail the test, not hang it.
      const t = setTimeout(() => child.kill('SIGKILL'), 15_000);
      const code = await exited;
      clearTimeout(t);
      return code;
    },
  };
}

export async function waitFor(what: string, cond: () => boolean, timeoutMs = 60_000): Promise<void> {
  const end = Date.now() + timeoutMs;
  while (!cond()) {
    if (Date.now() > end) throw new Error(`timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 100));
  }
}

let seq = 0;
/** Writes a Secret volume the way kubelet's atomic writer does (timestamped folder, ..data, per-key links), replacing any previous version. */
export function writeSecretVolume(dir: string, files: Record<string, string | Buffer>): void {
  mkdirSync(dir, { recursive: true });
  const ts = `..2026_12_01_21_00_${String(seq++).padStart(2, '0')}.${process.pid}`;
  mkdirSync(join(dir, ts));
  for (const [k, v] of Object.entries(files)) writeFileSync(join(dir, ts, k), v);
  symlinkSync(ts, join(dir, '..data_tmp'));
  renameSync(join(dir, '..data_tmp'), join(dir, '..data'));
  for (const k of Object.keys(files)) {
    try {
      symlinkSync(join('..data', k), join(dir, k));
    } catch {
      // link exists from the previous version
    }
  }
}

export function removeVolumeKey(dir: string, key: string): void {
  rmSync(join(dir, key), { force: true });
}
