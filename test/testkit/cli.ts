// Runs the built CLI as a child process: the bundle (dist/cli/main.js, scripts/bundle.mjs)
// that package.json's bin names, so the tests run what users run.
import { spawn } from 'node:child_process';
import { fileURLToPath } from 'node:url';

// dist/test/testkit/ → repo root.
export const REPO_ROOT = fileURLToPath(new URL('../../../', import.meta.url));
export const CLI_MAIN = fileURLToPath(new URL('../../../dist/cli/main.js', import.meta.url));
/** The bundled stream processor (scripts/bundle.mjs): what containerd is told to run. */
export const DECODER_BUNDLE = fileURLToPath(new URL('../../../dist/decoder/decoder-main.js', import.meta.url));
export const FIXTURES = fileURLToPath(new URL('../../../test/fixtures/ocicrypt/', import.meta.url));

export interface CliResult {
  code: number | null;
  stdout: string;
  stderr: string;
}

export function runCli(args: string[], opts: { cwd?: string; env?: Record<string, string | undefined>; timeoutMs?: number } = {}): Promise<CliResult> {
  return new Promise((resolve, reject) => {
    const child = spawn(process.execPath, [CLI_MAIN, ...args], {
      cwd: opts.cwd ?? REPO_ROOT,
      env: { ...process.env, IMGSEAL_DEBUG: '', ...opts.env },
      stdio: ['ignore', 'pipe', 'pipe'],
      timeout: opts.timeoutMs ?? 60_000,
    });
    let stdout = '';
    let stderr = '';
    child.stdout.setEncoding('utf8').on('data', (d: string) => (stdout += d));
    child.stderr.setEncoding('utf8').on('data', (d: string) => (stderr += d));
    child.on('error', reject);
    child.on('close', (code) => resolve({ code, stdout, stderr }));
  });
}

/** Lines of stderr that are errors (progress lines are not). */
export function errorLines(stderr: string): string[] {
  return stderr.split('\n').filter((l) => l.startsWith('imgseal:') || l.startsWith('error:'));
}
