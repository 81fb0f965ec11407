/**
 * Strict parsing of small JSON files users write (Key Protect config.json): duplicate
 * keys and unknown fields are errors naming the field and the file. JSON is YAML 1.2,
 * and the yaml parser reports duplicate keys, which JSON.parse silently merges.
 */
import { ImgsealError, type ErrorCode } from '../../errors.js';
import { yamlLib } from '../../util/yaml-lib.js';

export function parseStrictJsonObject(text: string, where: string, allowed: readonly string[], code: ErrorCode): Record<string, unknown> {
  const trimmed = text.trim();
  if (!trimmed.startsWith('{')) throw new ImgsealError(code, `${where}: not a JSON object`);
  const doc = yamlLib().parseDocument(trimmed, { uniqueKeys: true, strict: true });
  const dup = doc.errors.find((e) => e.code === 'DUPLICATE_KEY');
  if (dup) throw new ImgsealError(code, `${where}: duplicate key (${dup.message.split('\n')[0]})`);
  let value: unknown;
  try {
    value = JSON.parse(trimmed);
  } catch {
    throw new ImgsealError(code, `${where}: not valid JSON`);
  }
  if (typeof value !== 'object' || value === null || Array.isArray(value)) throw new ImgsealError(code, `${where}: not a JSON object`);
  for (const k of Object.keys(value)) {
    if (!allowed.includes(k)) throw new ImgsealError(code, `${where}: unknown field ${JSON.stringify(k)} (allowed: ${allowed.join(', ')})`);
  }
  return value as Record<string, unknown>;
}
