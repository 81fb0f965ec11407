/**
 * Notary's canonical JSON (docker/go canonical/json, OLPC style): what Notary v1
 * signs and what key IDs hash. It is neither RFC 8785 nor JSON.stringify:
 * - object keys sorted by their UTF-8 bytes (not by JavaScript's UTF-16 order), no whitespace;
 * - in strings only `"` and `\` are escaped; every other character, control characters
 *   and non-ASCII included, is written as its raw UTF-8 bytes;
 * - numbers must be integers and are written in plain decimal.
 * Verifiers re-encode the parsed `signed` value with this and check the signature
 * over the result, never over the received bytes.
 */
import { ImgsealError } from '../../errors.js';

export function canonicalJson(value: unknown): Buffer {
  const parts: string[] = [];
  encode(value, parts, 0);
  return Buffer.from(parts.join(''), 'utf8');
}

/** Deeper than any real metadata; bounds the recursion on hostile input. */
const MAX_DEPTH = 64;

function encode(v: unknown, out: string[], depth: number): void {
  if (depth > MAX_DEPTH) throw invalid('is nested too deeply');
  if (v === null) {
    out.push('null');
  } else if (typeof v === 'boolean') {
    out.push(v ? 'true' : 'false');
  } else if (typeof v === 'number') {
    if (!Number.isSafeInteger(v)) throw invalid(`holds the number ${v}, which is not an integer canonical JSON can carry`);
    out.push(Object.is(v, -0) ? '0' : String(v));
  } else if (typeof v === 'string') {
    out.push(encodeString(v));
  } else if (Array.isArray(v)) {
    out.push('[');
    v.forEach((item, i) => {
      if (i > 0) out.push(',');
      encode(item, out, depth + 1);
    });
    out.push(']');
  } else if (typeof v === 'object') {
    const keys = Object.keys(v as object).sort(compareUtf8);
    out.push('{');
    keys.forEach((k, i) => {
      if (i > 0) out.push(',');
      out.push(encodeString(k), ':');
      encode((v as Record<string, unknown>)[k], out, depth + 1);
    });
    out.push('}');
  } else {
    throw invalid(`holds a value of type ${typeof v}`);
  }
}

function encodeString(s: string): string {
  return `"${s.replace(/[\\"]/g, (c) => `\\${c}`)}"`;
}

/** Byte order of the UTF-8 encodings (differs from UTF-16 order above U+FFFF). */
export function compareUtf8(a: string, b: string): number {
  return Buffer.compare(Buffer.from(a, 'utf8'), Buffer.from(b, 'utf8'));
}

function invalid(what: string): ImgsealError {
  return new ImgsealError('TRUST_METADATA_INVALID', `trust metadata ${what}`);
}
