/**
 * What a fuzz target is, and the property every target must keep: for each input
 * the parser under test either returns or throws an ImgsealError with one of the
 * target's stable codes, whose CLI line is one line without control characters;
 * nothing else escapes (TypeError, RangeError, SyntaxError, …) and no case takes
 * longer than CASE_LIMIT_MS.
 */
import type { Arbitrary } from 'fast-check';
import { errorLine } from '../../../src/cli/exit-codes.js';
import { ImgsealError, type ErrorCode } from '../../../src/errors.js';

/** One parser (or a parser and what consumes its result at once) fed with generated inputs. */
export interface FuzzTarget<T = unknown> {
  /** Short id used by the runner and FUZZ_TARGETS, e.g. `manifest`. */
  readonly name: string;
  /** What is fuzzed, for reports. */
  readonly about: string;
  /** The codes this parser may fail with. */
  readonly codes: readonly ErrorCode[];
  /** Cases per run in CI (the whole fuzz test run stays under a minute). */
  readonly ciRuns: number;
  readonly arbitrary: Arbitrary<T>;
  /** Prepares what the parser needs (a temporary folder, loaded keys) and returns the case runner. */
  open(): Promise<FuzzSession<T>>;
}

export interface FuzzSession<T> {
  run(input: T): unknown;
  close?(): Promise<void>;
}

/** A case slower than this fails, even when it ends; a case that never ends is a hang. */
export const CASE_LIMIT_MS = 3_000;

/** Builds a target with its generic type checked and erased for the registry. */
export function defineTarget<T>(t: FuzzTarget<T>): FuzzTarget<unknown> {
  return t as unknown as FuzzTarget<unknown>;
}

/** Throws (a fast-check failure) when `err` is not an acceptable way for the parser to fail. */
export function checkFailure(err: unknown, codes: readonly ErrorCode[]): void {
  if (!(err instanceof ImgsealError)) {
    const kind = err instanceof Error ? err.constructor.name : typeof err;
    const msg = err instanceof Error ? err.message : String(err);
    throw new Error(`escaped ${kind}: ${msg}`, { cause: err });
  }
  if (!codes.includes(err.code)) throw new Error(`ImgsealError with unexpected code ${err.code}: ${err.message}`, { cause: err });
  const line = errorLine(err);
  // eslint-disable-next-line no-control-regex -- finding control characters is the point
  if (line === '' || /[\u0000-\u001f\u007f-\u009f\u2028\u2029]/.test(line)) {
    throw new Error(`the error line is empty or not one clean line: ${JSON.stringify(line.slice(0, 300))}`, { cause: err });
  }

}

/** Runs one case under the property; resolves when it holds, rejects with the reason otherwise. */
export async function runCase<T>(session: FuzzSession<T>, codes: readonly ErrorCode[], input: T): Promise<void> {
  const started = performance.now();
  let timer: NodeJS.Timeout | undefined;
  const limit = new Promise<'timeout'>((resolve) => {
    timer = setTimeout(() => resolve('timeout'), CASE_LIMIT_MS);
  });
  try {
    const outcome = await Promise.race([Promise.resolve().then(() => session.run(input)), limit]);
    if (outcome === 'timeout') throw new HangError(`the case did not end within ${CASE_LIMIT_MS} ms`);
  } catch (err) {
    if (err instanceof HangError) throw err;
    checkFailure(err, codes);
  } finally {
    clearTimeout(timer);
  }
  const ms = performance.now() - started;
  if (ms > CASE_LIMIT_MS) throw new HangError(`the case took ${Math.round(ms)} ms (limit ${CASE_LIMIT_MS} ms)`);
}

/** A case that did not end in time: reported at once, not shrunk (every shrink step would wait again). */
export class HangError extends Error {
  override readonly name = 'HangError';
}
