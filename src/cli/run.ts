import type { ProgressSink } from '../copy/progress.js';
import { silentProgress } from '../copy/progress.js';
import { ConsoleProgress } from './progress.js';

/** Runs a long operation with progress on stderr (unless --quiet) and warnings on stderr. */
export async function runWithProgress<T>(
  flags: { quiet?: boolean },
  fn: (progress: ProgressSink, warn: (m: string) => void) => Promise<T>,
): Promise<T> {
  const progress = flags.quiet ? undefined : new ConsoleProgress();
  const warn = (m: string): void => {
    if (progress) progress.note(`warning: ${m}`);
    else process.stderr.write(`warning: ${m}\n`);
  };
  try {
    return await fn(progress ?? silentProgress, warn);
  } finally {
    progress?.finish();
  }
}
