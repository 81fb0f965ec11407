import { ImgsealError } from '../errors.js';

/**
 * Parses image metadata (manifest, index, config, oci-layout) that must be a JSON
 * object; `what` names it in the MANIFEST_INVALID error.
 */
export function parseJsonObject(bytes: Uint8Array, what: string): Record<string, unknown> {
  let v: unknown;
  try {
    v = JSON.parse(Buffer.from(bytes).toString('utf8'));
  } catch (err) {
    throw new ImgsealError('MANIFEST_INVALID', `${what} is not valid JSON`, { cause: err });
  }
  if (typeof v !== 'object' || v === null || Array.isArray(v)) throw new ImgsealError('MANIFEST_INVALID', `${what} is not a JSON object`);
  return v as Record<string, unknown>;
}
