/**
 * Untrusted values quoted in error messages: a JSON string literal (so quotes and
 * control characters are escaped), cut to `max` characters, or the value's type
 * when it is no string (an object could be megabytes, or nest too deep to print).
 */
export function quoted(value: unknown, max = 128): string {
  if (typeof value !== 'string') return value === null ? 'null' : `(a ${Array.isArray(value) ? 'list' : typeof value})`;
  const cut = value.length > max ? `${value.slice(0, max)}…` : value;
  return JSON.stringify(cut);
}
