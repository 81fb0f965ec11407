/**
 * The command transport: run `cmd.path cmd.args`, request JSON on stdin, answer
 * JSON on stdout (ocicrypt's `utils.Runner`). Beyond ocicrypt: a timeout (the
 * process is killed and the call fails), bounded output, and an error that
 * carries the provider's stderr (its last lines) but never the request, which
 * holds the layer key.
 */
import { ImgsealError } from '../../../errors.js';

export interface CallOptions {
  timeoutMs: number;
  signal?: AbortSignal;
  /** Environment of the provider process; default process.env (ocicrypt: inherited). */
  env?: NodeJS.ProcessEnv;
}

/** An answer larger than this is not a keyprovider answer. */
const MAX_OUTPUT = 4 << 20;
const STDERR_KEEP = 2048;

function tail(stderr: string): string {
  const lines = stderr.trim().split('\n').map((l) => l.trim()).filter(Boolean);
  const text = lines.slice(-3).join(' | ');
  return text.length > 400 ? `…${text.slice(-400)}` : text;
}

export async function runCommandProvider(who: string, path: string, args: readonly string[], request: Uint8Array, opts: CallOptions): Promise<Buffer> {
  // Loaded on first use: node:child_process (with node:net) is ~7 ms of every decoder start.
  const { spawn } = await import('node:child_process');
  return new Promise((resolve, reject) => {
    const child = spawn(path, [...args], { env: opts.env ?? process.env, stdio: ['pipe', 'pipe', 'pipe'] });
    const out: Buffer[] = [];
    let outLen = 0;
    let stderr = '';
    let settled = false;
    let failure: ImgsealError | undefined;
    const fail = (message: string): void => {
      failure ??= new ImgsealError('KEY_PROVIDER_ERROR', message);
      child.kill('SIGKILL');
    };
    const timer = setTimeout(() => fail(`${who}: no answer within ${opts.timeoutMs / 1000} s (killed)`), opts.timeoutMs);
    const onAbort = (): void => fail(`${who}: aborted`);
    opts.signal?.addEventListener('abort', onAbort, { once: true });
    const finish = (err: Error | undefined, value?: Buffer): void => {
      if (settled) return;
      settled = true;
      clearTimeout(timer);
      opts.signal?.removeEventListener('abort', onAbort);
      if (err) reject(err);
      else resolve(value as Buffer);
    };

    child.stdout.on('data', (d: Buffer) => {
      outLen += d.length;
      if (outLen > MAX_OUTPUT) fail(`${who}: answer larger than ${MAX_OUTPUT} bytes`);
      else out.push(d);
    });
    child.stderr.setEncoding('utf8').on('data', (d: string) => {
      stderr = (stderr + d).slice(-STDERR_KEEP);
    });
    child.on('error', (err: NodeJS.ErrnoException) => {
      const why = err.code === 'ENOENT' ? 'no such file' : err.code === 'EACCES' ? 'permission denied' : (err.code ?? err.message);
      finish(new ImgsealError('KEY_PROVIDER_ERROR', `${who}: cannot run ${path}: ${why}`, { cause: err }));
    });
    child.on('close', (code, signal) => {
      if (failure) return finish(failure);
      if (code !== 0) {
        const status = code === null ? `killed by ${signal ?? 'a signal'}` : `exit status ${code}`;
        const err = tail(stderr);
        return finish(new ImgsealError('KEY_PROVIDER_ERROR', `${who}: ${path} failed (${status})${err ? `: stderr: ${err}` : ''}`));
      }
      finish(undefined, Buffer.concat(out));
    });
    // A provider that exits without reading stdin gives EPIPE; its exit status tells the story.
    child.stdin.on('error', () => {});
    child.stdin.end(Buffer.from(request));
  });
}
