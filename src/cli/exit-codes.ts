/** The one place where error codes become process exit codes and one-line messages. */
import { isImgsealError, type ErrorCode } from '../errors.js';
import { redact } from '../util/redact.js';

/** 2: the command line itself was wrong; 1: the operation failed. */
const USAGE_CODES: ReadonlySet<ErrorCode> = new Set(['INVALID_ARGUMENT', 'INVALID_REFERENCE', 'UNKNOWN_TRANSPORT', 'INVALID_RECIPIENT']);

export function exitCodeFor(err: unknown): number {
  return isImgsealError(err) && USAGE_CODES.has(err.code) ? 2 : 1;
}

/** One line, no stack: what a user of skopeo expects to read. Secrets the process holds are redacted. */
export function errorLine(err: unknown): string {
  const message = oneLine(redact(err instanceof Error ? err.message : String(err)));
  // A message that quotes a huge input (a name, a header) is cut: one line stays readable.
  return message.length > MAX_ERROR_LINE ? `${message.slice(0, MAX_ERROR_LINE)}… (${message.length} characters)` : message;
}

export const MAX_ERROR_LINE = 2_000;

/**
 * Messages quote what they refuse (a digest, a name, a header from a registry): control
 * characters in it are escaped, so that the message stays one line and a hostile input
 * cannot move the cursor or rewrite what the terminal shows.
 */
export function oneLine(text: string): string {
  // eslint-disable-next-line no-control-regex -- finding control characters is the point
  return text.replace(/[\u0000-\u001f\u007f-\u009f\u2028\u2029]/g, (c) => {
    const named: Record<string, string> = { '\n': '\\n', '\r': '\\r', '\t': '\\t' };
    return named[c] ?? `\\u${c.charCodeAt(0).toString(16).padStart(4, '0')}`;
  });
}

/** IMGSEAL_DEBUG output: the stack and its causes, redacted like the error line. */
export function debugText(err: unknown): string {
  const parts: string[] = [];
  for (let e = err, i = 0; e instanceof Error && i < 5; e = e.cause, i++) parts.push(i === 0 ? (e.stack ?? e.message) : `caused by: ${e.stack ?? e.message}`);
  return redact(parts.join('\n'));
}
