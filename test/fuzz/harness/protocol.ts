/** Messages between a fuzz worker and its supervisor, and how counterexamples are printed. */
import fc from 'fast-check';

export interface WorkerInput {
  target: string;
  runs: number;
  seed: number;
  /** fast-check's replay path (`FUZZ_PATH`), to run one reported case again. */
  path?: string;
  /** Int32 counters: cases started, 1 + first failing case. */
  counters: SharedArrayBuffer;
}

export type WorkerMessage =
  | { kind: 'passed'; cases: number; ms: number }
  | { kind: 'failed'; cases: number; ms: number; seed: number; path: string; reason: string; counterexample: string }
  | { kind: 'hang'; index: number; reason: string; counterexample: string }
  | { kind: 'error'; reason: string };

/** Counterexamples can be megabytes (huge-field mutations): the seed and path replay them whole. */
const MAX_SHOWN = 2_000;

export function describeValue(v: unknown): string {
  const s = fc.stringify(v);
  return s.length <= MAX_SHOWN ? s : `${s.slice(0, MAX_SHOWN)}… (${s.length} characters; replay with the seed and path)`;
}
