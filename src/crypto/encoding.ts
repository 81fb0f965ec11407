/**
 * Encodings as Go writes and reads them, so our JSON and annotation values are
 * byte-for-byte what ocicrypt produces and we reject what it rejects.
 */

// Go's base64.StdEncoding: padded, standard alphabet. Node's Buffer.from(…,
// 'base64') silently skips garbage, which would turn a corrupt annotation into
// a confusing unwrap failure, so the shape is checked first. Go ignores CR/LF.
const STD_BASE64 = /^(?:[A-Za-z0-9+/]{4})*(?:[A-Za-z0-9+/]{2}==|[A-Za-z0-9+/]{3}=)?$/;

/** Decodes strict padded std base64; undefined when `s` is not that. */
export function decodeStdBase64(s: string): Buffer | undefined {
  const clean = s.replace(/[\r\n]/g, '');
  if (!STD_BASE64.test(clean)) return undefined;
  return Buffer.from(clean, 'base64');
}

export function encodeStdBase64(b: Uint8Array): string {
  return Buffer.from(b.buffer, b.byteOffset, b.byteLength).toString('base64');
}

/** A JSON string literal as Go's encoding/json writes it (HTML-safe escapes). */
export function goJsonString(s: string): string {
  return JSON.stringify(s).replace(/[<>&\u2028\u2029]/g, (c) => `\\u${c.charCodeAt(0).toString(16).padStart(4, '0')}`);
}

/** A Go `map[string][]byte` in JSON: keys sorted, values std base64. */
export function goJsonBytesMap(m: Record<string, Uint8Array>): string {
  const keys = Object.keys(m).sort();
  return `{${keys.map((k) => `${goJsonString(k)}:${goJsonString(encodeStdBase64(m[k] as Uint8Array))}`).join(',')}}`;
}

/**
 * Looks up a struct field the way Go's decoder does: an exact key wins,
 * otherwise the first key equal under case folding (Go uses Unicode simple
 * folding; ASCII lower-casing covers every field name we have).
 */
export function goField(obj: Record<string, unknown>, name: string): unknown {
  if (Object.prototype.hasOwnProperty.call(obj, name)) return obj[name];
  const lower = name.toLowerCase();
  for (const [k, v] of Object.entries(obj)) if (k.toLowerCase() === lower) return v;
  return undefined;
}
