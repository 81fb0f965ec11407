import { constants as osConstants } from 'node:os';
import type { ProgressSink } from '../copy/progress.js';
import { ImgsealError } from '../errors.js';
import { silentProgress } from '../copy/progress.js';
import { ConsoleProgress } from './progress.js';
import { redact } from '../util/redact.js';

/** Runs a long operation with progress on stderr (unless --quiet) and warnings on stderr. */
export async function runWithProgress<T>(
  flags: { quiet?: boolean },
  fn: (progress: ProgressSink, warn: (m: string) => void) => Promise<T>,
): Promise<T> {
  const progress = flags.quiet ? undefined : new ConsoleProgress();
  const warn = (raw: string): void => {
    const m = redact(raw);
    if (progress) progress.note(`warning: ${m}`);
    else process.stderr.write(`warning: ${m}\n`);
  };
  try {
    return await fn(progress ?? silentProgress, warn);
  } finally {
    progress?.finish();
  }
}

/** The signal that stopped the running command, if one did (main exits with 128 + its number). */
let stoppedBy: NodeJS.Signals | undefined;

export function stoppedBySignal(): NodeJS.Signals | undefined {
  return stoppedBy;
}

/**
 * Ends the process by `sig` itself, as a shell expects of a program stopped by one
 * (it then reports 128 + the signal number, 130 for Ctrl-C, and a calling script's
 * loop stops too). Also the only clean way out while a read is blocked in the kernel:
 * process.exit() waits for the I/O threads, and a blocked one never returns.
 */
export function dieBySignal(sig: NodeJS.Signals): never {
  process.removeAllListeners(sig);
  process.kill(process.pid, sig);
  // Not reached when the signal is delivered; a fallback with the same code.
  process.exit(128 + (osConstants.signals[sig] ?? 0));
}

/**
 * Runs `fn` with an AbortSignal that SIGINT (Ctrl-C) or SIGTERM aborts, so the copy
 * stops, destinations remove what they staged and upload sessions are cancelled
 * before we exit. A second signal exits at once.
 */
export async function stoppableBySignals<T>(fn: (signal: AbortSignal) => Promise<T>): Promise<T> {
  const ac = new AbortController();
  const onSignal = (sig: NodeJS.Signals): void => {
    if (stoppedBy) dieBySignal(sig);
    stoppedBy = sig;
    const what = sig === 'SIGINT' ? 'interrupted' : 'terminated';
    process.stderr.write(`\nimgseal: ${what}; cleaning up (${sig} again to quit at once)\n`);
    ac.abort(new ImgsealError('ABORTED', `${what} (${sig}); nothing was committed to the destination`));
  };
  process.on('SIGINT', onSignal);
  process.on('SIGTERM', onSignal);
  try {
    return await fn(ac.signal);
  } finally {
    process.off('SIGINT', onSignal);
    process.off('SIGTERM', onSignal);
  }
}

/** What a command that stopped without finishing (see the guard in main.ts) fails with. */
export function unfinishedOperationError(): ImgsealError {
  return new ImgsealError('UNFINISHED', 'internal error: the operation stopped without finishing (a step waited for an event that never came); it failed');
}
