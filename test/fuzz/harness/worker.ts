/**
 * Runs one fuzz target in a worker thread, so that the supervisor (isolated.ts) can
 * stop a case that never ends, even a synchronous loop. Counters shared with the
 * supervisor: [0] cases started, [1] 1 + index of the first failing case (0: none).
 */
import { isMainThread, parentPort, workerData } from 'node:worker_threads';
import fc from 'fast-check';
import { TARGETS } from '../targets/index.js';
import { HangError, runCase } from './target.js';
import { describeValue, type WorkerInput, type WorkerMessage } from './protocol.js';

// `node --test dist/test/` also loads every file under a test folder, this one included,
// on the main thread: there it has nothing to run.
const input = workerData as WorkerInput | null;
const counters = new Int32Array(input?.counters ?? new SharedArrayBuffer(8));

function post(m: WorkerMessage): void {
  parentPort?.postMessage(m);
}

async function main(input: WorkerInput): Promise<void> {
  const target = TARGETS.get(input.target);
  if (!target) throw new Error(`no fuzz target "${input.target}"`);
  const session = await target.open();
  const started = performance.now();
  try {
    const details = await fc.check(
      fc.asyncProperty(target.arbitrary, async (value) => {
        const index = Atomics.add(counters, 0, 1);
        try {
          await runCase(session, target.codes, value);
        } catch (err) {
          if (err instanceof HangError) {
            // Shrinking would wait CASE_LIMIT_MS per step: report this case as it is.
            post({ kind: 'hang', index, reason: err.message, counterexample: describeValue(value) });
            await new Promise(() => undefined); // the supervisor terminates us
          }
          if (Atomics.load(counters, 1) === 0) Atomics.store(counters, 1, index + 1);
          throw err;
        }
      }),
      { seed: input.seed, numRuns: input.runs, ...(input.path !== undefined ? { path: input.path } : {}) },
    );
    const ms = performance.now() - started;
    if (!details.failed) {
      post({ kind: 'passed', cases: details.numRuns, ms });
      return;
    }
    const err = details.errorInstance;
    post({
      kind: 'failed',
      cases: details.numRuns,
      ms,
      seed: details.seed,
      path: details.counterexamplePath ?? '',
      reason: err instanceof Error ? err.message : String(err),
      counterexample: describeValue(details.counterexample?.[0]),
    });
  } finally {
    await session.close?.();
  }
}

if (!isMainThread && input) {
  main(input).catch((err: unknown) => {
    post({ kind: 'error', reason: err instanceof Error ? (err.stack ?? err.message) : String(err) });
  });
}
