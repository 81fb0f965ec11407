/**
 * Cancellation for long operations (Ctrl-C in the CLI, an AbortSignal from a library
 * user): one error for it, and a way to stop waiting on work that cannot be
 * interrupted itself (a read blocked in the kernel) so cleanup can run at once.
 */
import { setMaxListeners } from 'node:events';
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

/**
 * A signal of our own that follows `outer`: a copy hangs one listener on it per blob
 * in flight and per stream step (dozens at once), which on the caller's signal would
 * trip Node's leak warning after ten; ours allows any number, and the caller's signal
 * carries one listener, removed by dispose().
 */
export function followSignal(outer: AbortSignal | undefined): { signal: AbortSignal | undefined; dispose: () => void } {
  if (!outer) return { signal: undefined, dispose: () => {} };
  const inner = new AbortController();
  setMaxListeners(0, inner.signal);
  const forward = (): void => inner.abort(outer.reason);
  if (outer.aborted) forward();
  else outer.addEventListener('abort', forward, { once: true });
  return { signal: inner.signal, dispose: () => outer.removeEventListener('abort', forward) };
}
