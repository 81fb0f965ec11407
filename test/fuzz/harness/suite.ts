/** One node:test test per fuzz target, with the seed and case count in its name. */
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { TARGETS } from '../targets/index.js';
import { fuzzInWorker, fuzzOptions } from './isolated.js';

export function fuzzTests(names: readonly string[]): void {
  for (const name of names) {
    const target = TARGETS.get(name);
    if (!target) throw new Error(`no fuzz target "${name}"`);
    const opts = fuzzOptions(target);
    test(`fuzz ${name}: ${target.about} (${opts.runs} cases, seed ${opts.seed})`, async (t) => {
      const r = await fuzzInWorker(name, opts);
      t.diagnostic(`${r.cases} cases in ${(r.ms / 1000).toFixed(1)} s, seed ${r.seed}`);
      assert.ok(r.ok, r.report);
      if (opts.path === undefined) assert.equal(r.cases, opts.runs, 'every case ran');
    });
  }
}
