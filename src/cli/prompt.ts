/**
 * Asking for a secret on the terminal, as docker and skopeo do when no variable or file
 * gives it: the prompt goes to stderr, typed characters are not echoed, and without a
 * terminal there is no prompt at all (a script gets a clear error instead of a hang).
 */
import { ImgsealError } from '../errors.js';

export async function promptSecret(question: string, missingHint: string): Promise<string> {
  const stdin = process.stdin;
  if (!stdin.isTTY || !process.stderr.isTTY) throw new ImgsealError('KEY_PASSWORD', `${question.replace(/:\s*$/, '')} is needed and there is no terminal to ask on: ${missingHint}`);
  // Echo off before the question shows: an answer typed the moment it appears is not echoed.
  stdin.setRawMode(true);
  stdin.resume();
  process.stderr.write(question);
  return new Promise<string>((resolve, reject) => {
    let typed = '';
    const done = (err?: Error) => {
      stdin.off('data', onData);
      stdin.setRawMode(false);
      stdin.pause();
      process.stderr.write('\n');
      if (err) reject(err);
      else resolve(typed);
    };
    const onData = (chunk: Buffer) => {
      for (const ch of chunk.toString('utf8')) {
        if (ch === '\r' || ch === '\n') return done();
        if (ch === '\u0003') return done(new ImgsealError('ABORTED', 'interrupted at the passphrase prompt'));
        if (ch === '\u007f' || ch === '\b') typed = typed.slice(0, -1);
        else typed += ch;
      }
    };
    stdin.on('data', onData);
  });
}
