/**
 * Runs a fuzz target in a worker thread under a watchdog and turns every way it can
 * end (passed, property failed, a case hung, the worker crashed or ran out of memory)
 * into one FuzzResult with the seed and the replay path of the guilty case.
 */
import { Worker } from 'node:worker_threads';
import fc from 'fast-check';
import { TARGETS } from '../targets/index.js';
import { CASE_LIMIT_MS, type FuzzTarget } from './target.js';
import { describeValue, type WorkerInput, type WorkerMessage } from './protocol.js';

/** The seed of every run unless FUZZ_SEED says otherwise, so that CI failures reproduce. */
export const DEFAULT_SEED = 20261201;

/** No case started for this long: a synchronous loop the per-case timer cannot see. */
const HANG_MS = CASE_LIMIT_MS * 4;

export interface FuzzOptions {
  runs: number;
  seed: number;
  path?: string;
}

export interface FuzzResult {
  target: string;
  ok: boolean;
  cases: number;
  ms: number;
  seed: number;
  /** Why it failed, with seed, replay path and counterexample. */
  report?: string;
}

function envInt(name: string): number | undefined {
  const v = process.env[name];
  if (v === undefined || v === '') return undefined;
  const n = Number(v);
  if (!Number.isSafeInteger(n)) throw new Error(`${name}=${v} is not an integer`);
  return n;
}

/** Runs and seed from FUZZ_RUNS / FUZZ_SEED / FUZZ_PATH, else the target's CI count and DEFAULT_SEED. */
export function fuzzOptions(target: FuzzTarget): FuzzOptions {
  const path = process.env.FUZZ_PATH;
  return { runs: envInt('FUZZ_RUNS') ?? target.ciRuns, seed: envInt('FUZZ_SEED') ?? DEFAULT_SEED, ...(path ? { path } : {}) };
}

export function replayHint(target: string, seed: number, path: string): string {
  return `replay: FUZZ_SEED=${seed} FUZZ_PATH=${path} node dist/test/fuzz/harness/cli.js ${target}`;
}

/** The value fast-check generated as case `index` of a run with `seed` (no path, no shrinking). */
function generatedCase(target: FuzzTarget, seed: number, index: number): string {
  return describeValue(fc.sample(target.arbitrary, { seed, numRuns: index + 1 })[index]);
}

export function fuzzInWorker(name: string, opts: FuzzOptions): Promise<FuzzResult> {
  const target = TARGETS.get(name);
  if (!target) return Promise.reject(new Error(`no fuzz target "${name}"`));
  const counters = new SharedArrayBuffer(8);
  const count = new Int32Array(counters);
  const data: WorkerInput = { target: name, runs: opts.runs, seed: opts.seed, counters, ...(opts.path ? { path: opts.path } : {}) };
  const started = performance.now();
  const head = `fuzz target ${name} (${target.about})`;
  const base = { target: name, seed: opts.seed };
  return new Promise((resolve) => {
    // The main thread's stack size, so that what overflows the CLI's stack overflows here too.
    const worker = new Worker(new URL('./worker.js', import.meta.url), { workerData: data, resourceLimits: { stackSizeMb: 1, maxOldGenerationSizeMb: 1536 } });
    let settled = false;
    let lastCount = -1;
    let lastMove = performance.now();
    const finish = (r: FuzzResult): void => {
      if (settled) return;
      settled = true;
      clearInterval(watchdog);
      void worker.terminate();
      resolve(r);
    };
    const blame = (why: string): string => {
      const started = Atomics.load(count, 0);
      const firstFailure = Atomics.load(count, 1) - 1;
      if (opts.path !== undefined) return `${why} while replaying path ${opts.path}`;
      const index = firstFailure >= 0 ? firstFailure : started - 1;
      if (index < 0) return `${why} before the first case`;
      const note = firstFailure >= 0 ? ` while shrinking the failure of case ${index}` : ` at case ${index}`;
      return `${why}${note}\n  ${replayHint(name, opts.seed, String(index))}\n  counterexample: ${generatedCase(target, opts.seed, index)}`;
    };
    const watchdog = setInterval(() => {
      const n = Atomics.load(count, 0);
      if (n !== lastCount) {
        lastCount = n;
        lastMove = performance.now();
      } else if (n > 0 && performance.now() - lastMove > HANG_MS) {
        finish({ ...base, ok: false, cases: n, ms: performance.now() - started, report: `${head}: HANG: ${blame(`no case ended for ${HANG_MS} ms`)}` });
      }
    }, 250);
    worker.on('message', (m: WorkerMessage) => {
      const ms = performance.now() - started;
      switch (m.kind) {
        case 'passed':
          finish({ ...base, ok: true, cases: m.cases, ms });
          break;
        case 'failed':
          finish({
            ...base,
            ok: false,
            cases: m.cases,
            ms,
            report: `${head}: FAILED after ${m.cases} cases: ${m.reason}\n  seed ${m.seed}, path "${m.path}"\n  ${replayHint(name, m.seed, m.path)}\n  counterexample: ${m.counterexample}`,
          });
          break;
        case 'hang':
          finish({
            ...base,
            ok: false,
            cases: m.index + 1,
            ms,
            report: `${head}: HANG at case ${m.index}: ${m.reason}\n  ${opts.path ? `path ${opts.path}` : replayHint(name, opts.seed, String(m.index))}\n  counterexample: ${m.counterexample}`,
          });
          break;
        case 'error':
          finish({ ...base, ok: false, cases: Atomics.load(count, 0), ms, report: `${head}: the harness failed: ${m.reason}` });
          break;
      }
    });
    worker.on('error', (err) => {
      finish({ ...base, ok: false, cases: Atomics.load(count, 0), ms: performance.now() - started, report: `${head}: CRASH: ${blame(`worker died (${err.message})`)}` });
    });
    worker.on('exit', (code) => {
      finish({ ...base, ok: false, cases: Atomics.load(count, 0), ms: performance.now() - started, report: `${head}: CRASH: ${blame(`worker exited with ${code}`)}` });
    });
  });
}
