// External tools for interop tests: under CI=true a missing tool fails the test,
// elsewhere the test is skipped with the reason.
import { isCI } from './peers.js';
import { spawn, spawnSync } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

export interface SkipContext {
  skip(message?: string): void;
}

const found = new Map<string, boolean>();

export function haveTool(name: string): boolean {
  let ok = found.get(name);
  if (ok === undefined) {
    // Most tools answer --version; openssl 3 only `openssl version`.
    ok = [['--version'], ['version']].some((args) => {
      const r = spawnSync(name, args, { stdio: 'ignore' });
      return !r.error && r.status === 0;
    });
    found.set(name, ok);
  }
  return ok;
}

/** True when `name` runs; otherwise throws under CI=true, or skips `t` and returns false. */
export function requireTool(name: string, t: SkipContext): boolean {
  if (haveTool(name)) return true;
  const reason = `${name} is not installed`;
  if (isCI()) throw new Error(`${reason} (required when CI=true)`);
  t.skip(reason);
  return false;
}

let authFile: string | undefined;

/** Runs skopeo with an empty auth file; rejects with stderr on a non-zero exit. */
export function skopeo(args: string[]): Promise<{ stdout: string; stderr: string }> {
  if (!authFile) {
    const d = mkdtempSync(join(tmpdir(), 'imgseal-skopeo-auth-'));
    authFile = join(d, 'auth.json');
    writeFileSync(authFile, '{}');
    process.once('exit', () => rmSync(d, { recursive: true, force: true }));
  }
  return new Promise((resolve, reject) => {
    const child = spawn('skopeo', args, { env: { ...process.env, REGISTRY_AUTH_FILE: authFile }, stdio: ['ignore', 'pipe', 'pipe'] });
    let stdout = '';
    let stderr = '';
    child.stdout.setEncoding('utf8').on('data', (d: string) => (stdout += d));
    child.stderr.setEncoding('utf8').on('data', (d: string) => (stderr += d));
    child.on('error', reject);
    child.on('close', (code) => (code === 0 ? resolve({ stdout, stderr }) : reject(new Error(`skopeo ${args.join(' ')} exited ${code}: ${stderr}`))));
  });
}
