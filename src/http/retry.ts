/**
 * Retry policy for HTTP requests: exponential backoff on 5xx, 429 (honouring
 * Retry-After, capped) and transient socket errors, as containers/image's
 * `--retry-times`. The sleep and the clock are injected so tests run with millisecond
 * delays and a fixed time.
 */
import { setTimeout as sleepTimer } from 'node:timers/promises';
import { ImgsealError } from '../errors.js';

export interface RetryOptions {
  /** How many times a failed request is retried (0 = no retry). */
  retryTimes: number;
  /** First backoff delay in ms; doubled each attempt. */
  baseDelayMs: number;
  /** Upper bound for one delay, including a server's Retry-After. */
  maxDelayMs: number;
  sleep: (ms: number, signal?: AbortSignal) => Promise<void>;
  /** The clock, for Retry-After given as a date. */
  now: () => number;
}

export const DEFAULT_RETRY_TIMES = 3;

export function defaultSleep(ms: number, signal?: AbortSignal): Promise<void> {
  return sleepTimer(ms, undefined, signal ? { signal } : undefined).then(
    () => undefined,
    (err: unknown) => {
      throw new ImgsealError('ABORTED', 'aborted', { cause: err });
    },
  );
}

export function retryOptions(o: { retryTimes?: number; retryDelayMs?: number; sleep?: RetryOptions['sleep']; now?: () => number }): RetryOptions {
  const base = o.retryDelayMs ?? 1000;
  return {
    retryTimes: Math.max(0, Math.min(o.retryTimes ?? DEFAULT_RETRY_TIMES, 100)),
    baseDelayMs: base,
    maxDelayMs: Math.max(base * 32, base),
    sleep: o.sleep ?? defaultSleep,
    now: o.now ?? Date.now,
  };
}

export function isRetryableStatus(status: number): boolean {
  return status === 429 || status === 500 || status === 502 || status === 503 || status === 504;
}

/** Delay before attempt `attempt` (1-based retry number), honouring Retry-After seconds. */
export function backoffDelay(opts: RetryOptions, attempt: number, retryAfter?: string | string[]): number {
  let ms = opts.baseDelayMs * 2 ** (attempt - 1);
  const ra = Array.isArray(retryAfter) ? retryAfter[0] : retryAfter;
  if (ra !== undefined) {
    const secs = Number(ra);
    if (Number.isFinite(secs) && secs >= 0) ms = secs * 1000;
    else {
      const when = Date.parse(ra);
      if (Number.isFinite(when)) ms = Math.max(0, when - opts.now());
    }
  }
  return Math.min(ms, opts.maxDelayMs);
}
