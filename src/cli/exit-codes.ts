/** The one place where error codes become process exit codes and one-line messages. */
import { isImgsealError, type ErrorCode } from '../errors.js';

/** 2: the command line itself was wrong; 1: the operation failed. */
const USAGE_CODES: ReadonlySet<ErrorCode> = new Set(['INVALID_ARGUMENT', 'INVALID_REFERENCE', 'UNKNOWN_TRANSPORT', 'INVALID_RECIPIENT']);

export function exitCodeFor(err: unknown): number {
  return isImgsealError(err) && USAGE_CODES.has(err.code) ? 2 : 1;
}

/** One line, no stack: what a user of skopeo expects to read. */
export function errorLine(err: unknown): string {
  if (isImgsealError(err)) return err.message;
  if (err instanceof Error) return err.message;
  return String(err);
}
