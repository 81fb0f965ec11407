/**
 * The user's GnuPG public keyring, read through the `gpg` program as ocicrypt
 * does (`gpg2 --batch --export`, else `gpg`): GNUPGHOME or `--homedir` apply as
 * for gpg itself. The program and its environment are injected so tests and
 * library users choose them; nothing here reads globals.
 */
import { ImgsealError } from '../../../errors.js';

export interface GpgOptions {
  /** The gpg program; default: `gpg2` when it runs, else `gpg`. */
  program?: string;
  /** GnuPG home (passed as --homedir); default: gpg's own (GNUPGHOME, ~/.gnupg). */
  homedir?: string;
  /** Environment for gpg; default process.env. */
  env?: NodeJS.ProcessEnv;
  /** Milliseconds before gpg is killed; default 30 s. */
  timeoutMs?: number;
}

interface Run {
  code: number | null;
  stdout: Buffer;
  stderr: string;
  spawnError?: NodeJS.ErrnoException;
}

async function run(program: string, args: string[], env: NodeJS.ProcessEnv, timeoutMs: number): Promise<Run> {
  // Loaded on first use: node:child_process (with node:net) is ~7 ms of every decoder start.
  const { spawn } = await import('node:child_process');
  return new Promise((resolve) => {
    const child = spawn(program, args, { env, stdio: ['ignore', 'pipe', 'pipe'], timeout: timeoutMs, killSignal: 'SIGKILL' });
    const out: Buffer[] = [];
    let stderr = '';
    child.stdout.on('data', (d: Buffer) => out.push(d));
    child.stderr.setEncoding('utf8').on('data', (d: string) => (stderr += d));
    child.on('error', (err: NodeJS.ErrnoException) => resolve({ code: null, stdout: Buffer.alloc(0), stderr, spawnError: err }));
    child.on('close', (code) => resolve({ code, stdout: Buffer.concat(out), stderr }));
  });
}

/** The whole public keyring as binary OpenPGP (what `gpg --export` prints). */
export async function exportGpgPublicKeyring(opts: GpgOptions = {}): Promise<Buffer> {
  const env = opts.env ?? process.env;
  const timeoutMs = opts.timeoutMs ?? 30_000;
  const args = ['--batch', '--no-tty', ...(opts.homedir ? ['--homedir', opts.homedir] : []), '--export'];
  const programs = opts.program ? [opts.program] : ['gpg2', 'gpg'];
  for (const program of programs) {
    const r = await run(program, args, env, timeoutMs);
    if (r.spawnError?.code === 'ENOENT') continue;
    if (r.spawnError) throw new ImgsealError('INVALID_RECIPIENT', `pgp: cannot run ${program}: ${r.spawnError.message}`);
    if (r.code !== 0) {
      const why = r.code === null ? `killed after ${timeoutMs} ms` : `exit status ${r.code}`;
      throw new ImgsealError('INVALID_RECIPIENT', `pgp: ${program} --export failed (${why}): ${r.stderr.trim().split('\n').slice(-2).join(' ')}`);
    }
    return r.stdout;
  }
  throw new ImgsealError('INVALID_RECIPIENT', 'pgp: gpg is not installed; give the public key file instead (pgp:FILE)');
}
