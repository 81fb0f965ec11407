/**
 * Cancellation for long operations (Ctrl-C in the CLI, an AbortSignal from a library
 * user): one error for it, and a way to stop waiting on work that cannot be
 * interrupted itself (a read blocked in the kernel) so cleanup can run at once.
 */
import { ImgsealError } from '../errors.js';

/** The error an aborted operation ends with: the signal's reason when it is ours. */
export function abortedError(signal: AbortSignal): ImgsealError {
  const reason: unknown = signal.reason;
  if (reason instanceof ImgsealError) return reason;
  return new ImgsealError('ABORTED', 'interrupted', { cause: reason });
}

export function throwIfAborted(signal: AbortSignal | undefined): void {
  if (signal?.aborted) throw abortedError(signal);
}

/** `p`, or a rejection with abortedError as soon as `signal` aborts, whichever comes first. */
export function raceAbort<T>(p: Promise<T>, signal: AbortSignal | undefined): Promise<T> {
  if (!signal) return p;
  if (signal.aborted) {
    p.catch(() => {}); // still running; its outcome no longer matters
    return Promise.reject(abortedError(signal));
  }
  return new Promise<T>((resolve, reject) => {
    const onAbort = (): void => {
      p.catch(() => {});
      reject(abortedError(signal));
    };
    signal.addEventListener('abort', onAbort, { once: true });
    p.then(
      (v) => {
        signal.removeEventListener('abort', onAbort);
        resolve(v);
      },
      (err: unknown) => {
        signal.removeEventListener('abort', onAbort);
        reject(err);
      },
    );
  });
}
