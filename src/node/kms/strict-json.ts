/**
 * Strict parsing of small JSON files users write (Key Protect config.json, the PKCS#11
 * KMS config): duplicate keys and unknown fields are errors naming the field and the
 * file. Duplicates come from the project's strict JSON parser (util/strict-json.ts).
 */
import { ImgsealError, type ErrorCode } from '../../errors.js';
import { parseStrictJsonAs } from '../../util/strict-json.js';

export function parseStrictJsonObject(text: string, where: string, allowed: readonly string[], code: ErrorCode): Record<string, unknown> {
  const value = parseStrictJsonAs(text, where, code);
  if (typeof value !== 'object' || value === null || Array.isArray(value)) throw new ImgsealError(code, `${where}: not a JSON object`);
  for (const k of Object.keys(value)) {
    if (!allowed.includes(k)) throw new ImgsealError(code, `${where}: unknown field ${JSON.stringify(k)} (allowed: ${allowed.join(', ')})`);
  }
  return value as Record<string, unknown>;
}
