import { ImgsealError } from '../errors.js';

/**
 * Deeper than this, a document is refused before it is parsed. JSON.parse copes with
 * any depth, but what is kept is written again (JSON.stringify of a manifest whose
 * unknown fields nest some thousand levels overflows the stack), and no image
 * document comes near: manifests nest four levels, configs six.
 */
export const MAX_JSON_DEPTH = 64;

/**
 * Parses image metadata (manifest, index, config, oci-layout) that must be a JSON
 * object; `what` names it in the MANIFEST_INVALID error.
 */
export function parseJsonObject(bytes: Uint8Array, what: string): Record<string, unknown> {
  const text = Buffer.from(bytes).toString('utf8');
  if (jsonDepthExceeds(text, MAX_JSON_DEPTH)) {
    throw new ImgsealError('MANIFEST_INVALID', `${what} nests deeper than ${MAX_JSON_DEPTH} levels`);
  }
  let v: unknown;
  try {
    v = JSON.parse(text);
  } catch (err) {
    throw new ImgsealError('MANIFEST_INVALID', `${what} is not valid JSON`, { cause: err });
  }
  if (typeof v !== 'object' || v === null || Array.isArray(v)) throw new ImgsealError('MANIFEST_INVALID', `${what} is not a JSON object`);
  return v as Record<string, unknown>;
}

/** Whether JSON text opens more than `max` arrays or objects at once (brackets in strings do not count). */
export function jsonDepthExceeds(text: string, max: number): boolean {
  let depth = 0;
  let inString = false;
  for (let i = 0; i < text.length; i++) {
    const c = text.charCodeAt(i);
    if (inString) {
      if (c === 0x5c) i++; // backslash: skip the escaped character
      else if (c === 0x22) inString = false;
    } else if (c === 0x22) {
      inString = true;
    } else if (c === 0x5b || c === 0x7b) {
      if (++depth > max) return true;
    } else if (c === 0x5d || c === 0x7d) {
      depth--;
    }
  }
  return false;
}
