/**
 * `node dist/test/fuzz/harness/cli.js [TARGET…]`: runs fuzz targets one after the other
 * (all when none is named), one line each, every failure in full with its seed and
 * replay path; exits 1 when any failed. FUZZ_RUNS, FUZZ_SEED and FUZZ_PATH as for the tests;
 * FUZZ_JOBS runs that many targets at once.
 * scripts/fuzz.sh runs it with FUZZ_RUNS=100000.
 */
import { TARGETS } from '../targets/index.js';
import { fuzzInWorker, fuzzOptions, type FuzzResult } from './isolated.js';

async function main(names: string[]): Promise<number> {
  const unknown = names.filter((n) => !TARGETS.has(n));
  if (unknown.length > 0) {
    console.error(`unknown fuzz target(s): ${unknown.join(', ')} (known: ${[...TARGETS.keys()].join(', ')})`);
    return 2;
  }
  const chosen = names.length > 0 ? names : [...TARGETS.keys()];
  const results: FuzzResult[] = [];
  const started = performance.now();
  // FUZZ_JOBS targets at a time (one worker thread each); lines print as targets finish.
  const jobs = Math.max(1, Number(process.env.FUZZ_JOBS ?? '1') || 1);
  const queue = [...chosen];
  const runOne = async (): Promise<void> => {
    for (let name = queue.shift(); name !== undefined; name = queue.shift()) {
      const target = TARGETS.get(name);
      if (!target) continue;
      const r = await fuzzInWorker(name, fuzzOptions(target));
      results.push(r);
      const rate = r.ms > 0 ? Math.round((r.cases * 1000) / r.ms) : 0;
      console.log(`${r.ok ? 'ok  ' : 'FAIL'} ${name.padEnd(20)} ${String(r.cases).padStart(7)} cases ${(r.ms / 1000).toFixed(1).padStart(7)} s ${String(rate).padStart(6)}/s  seed ${r.seed}`);
      if (!r.ok) console.log(r.report);
    }
  };
  await Promise.all(Array.from({ length: jobs }, runOne));
  const failed = results.filter((r) => !r.ok);
  const total = results.reduce((n, r) => n + r.cases, 0);
  console.log(`${results.length} targets, ${total} cases, ${((performance.now() - started) / 1000).toFixed(1)} s: ${failed.length === 0 ? 'no crash' : `${failed.length} failed (${failed.map((r) => r.target).join(', ')})`}`);
  return failed.length === 0 ? 0 : 1;
}

main(process.argv.slice(2)).then(
  (code) => {
    process.exitCode = code;
  },
  (err: unknown) => {
    console.error(err);
    process.exitCode = 2;
  },
);
