/**
 * Secrets given on standard input (`login --password-stdin`). Read with a bound: a
 * password is short, and an unbounded read of a pipe someone forgot to close, or of
 * a large file redirected by mistake, would hold the process and its memory.
 */
import { ImgsealError } from '../errors.js';

export const STDIN_SECRET_LIMIT = 64 << 10;

/** All of standard input as UTF-8, with one trailing newline removed; refused beyond `limit` bytes. */
export async function readSecretFromStdin(what: string, stdin: NodeJS.ReadableStream = process.stdin, limit = STDIN_SECRET_LIMIT): Promise<string> {
  const chunks: Buffer[] = [];
  let size = 0;
  for await (const chunk of stdin) {
    const b = typeof chunk === 'string' ? Buffer.from(chunk) : (chunk as Buffer);
    size += b.length;
    if (size > limit) {
      chunks.forEach((c) => c.fill(0));
      throw new ImgsealError('INVALID_ARGUMENT', `${what}: standard input holds more than ${limit} bytes; it must hold only the secret`);
    }
    chunks.push(b);
  }
  const all = Buffer.concat(chunks);
  chunks.forEach((c) => c.fill(0));
  const text = all.toString('utf8').replace(/\r?\n$/, '');
  all.fill(0);
  return text;
}
