/** Runs async tasks with at most `n` at once (the copy's `jobs`). */
export function concurrencyLimit(n: number): <T>(task: () => Promise<T>) => Promise<T> {
  let active = 0;
  const queue: (() => void)[] = [];
  const next = (): void => {
    if (active >= n) return;
    const start = queue.shift();
    if (start) {
      active++;
      start();
    }
  };
  return <T>(task: () => Promise<T>): Promise<T> =>
    new Promise<T>((resolve, reject) => {
      queue.push(() => {
        task()
          .then(resolve, reject)
          .finally(() => {
            active--;
            next();
          });
      });
      next();
    });
}

/** Large blobs at once by default: bandwidth, not latency, bounds them. */
export const DEFAULT_LARGE_JOBS = 6;
/**
 * Small blobs at once by default: they are all round trips and no bytes, so many at
 * once hide the latency (bounded by the HTTP pool of 16 connections per registry).
 */
export const DEFAULT_SMALL_JOBS = 16;

/**
 * The copy's two limiters. Every blob, small or large, holds one of at most
 * min(jobs ?? 16, destination's maxParallelBlobs) slots, so `--jobs N` bounds the whole
 * copy and a destination never gets more than it asked for; large blobs additionally
 * hold one of min(jobs ?? 6, …) slots of their own (taken first, so no deadlock).
 */
export function blobLimits(
  jobs: number | undefined,
  destinationMax: number,
): { limit: <T>(task: () => Promise<T>) => Promise<T>; smallLimit: <T>(task: () => Promise<T>) => Promise<T> } {
  const cap = Math.max(1, Math.min(jobs ?? DEFAULT_SMALL_JOBS, destinationMax));
  const total = concurrencyLimit(cap);
  const large = concurrencyLimit(Math.max(1, Math.min(jobs ?? DEFAULT_LARGE_JOBS, cap)));
  return { smallLimit: total, limit: (task) => large(() => total(task)) };
}
