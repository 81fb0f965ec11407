/**
 * JSON for files users write (configs): JSON.parse silently keeps the last of
 * two equal keys, which hides typos and merge accidents, so this parser reports
 * a duplicate key with its path. Otherwise it accepts exactly RFC 8259 JSON and
 * returns what JSON.parse would.
 */

import { ImgsealError, type ErrorCode } from '../errors.js';

export class StrictJsonError extends Error {
  override readonly name = 'StrictJsonError';
}

/** Parses `text`; throws StrictJsonError naming the position or the duplicated key's path. */
export function parseStrictJson(text: string): unknown {
  const p = new Parser(text);
  p.ws();
  const v = p.value('');
  p.ws();
  if (p.i < text.length) p.fail('unexpected text after the JSON value');
  return v;
}

// Sticky: matched at the parser's position only. Raw control characters are
// what RFC 8259 forbids inside strings, hence the range in the class.
// eslint-disable-next-line no-control-regex
const STRING = /"(?:[^"\\\u0000-\u001f]|\\(?:["\\/bfnrt]|u[0-9a-fA-F]{4}))*"/y;
const NUMBER = /-?(?:0|[1-9]\d*)(?:\.\d+)?(?:[eE][+-]?\d+)?/y;

/** Deeper nesting is refused; configuration files nest a handful of levels. */
export const MAX_STRICT_JSON_DEPTH = 64;

class Parser {
  i = 0;
  private depth = 0;
  constructor(private readonly s: string) {}

  fail(what: string): never {
    const before = this.s.slice(0, this.i);
    const line = before.split('\n').length;
    const col = this.i - before.lastIndexOf('\n');
    throw new StrictJsonError(`${what} at line ${line}, column ${col}`);
  }

  ws(): void {
    while (this.i < this.s.length && ' \t\n\r'.includes(this.s[this.i]!)) this.i++;
  }

  value(path: string): unknown {
    const c = this.s[this.i];
    if (c === '{' || c === '[') {
      // The parser recurses: past this depth the stack would overflow (a RangeError).
      if (++this.depth > MAX_STRICT_JSON_DEPTH) this.fail(`nested deeper than ${MAX_STRICT_JSON_DEPTH} levels`);
      const v = c === '{' ? this.object(path) : this.array(path);
      this.depth--;
      return v;
    }
    if (c === '"') return this.string();
    if (c === '-' || (c !== undefined && c >= '0' && c <= '9')) return this.number();
    for (const [word, v] of [['true', true], ['false', false], ['null', null]] as const) {
      if (this.s.startsWith(word, this.i)) {
        this.i += word.length;
        return v;
      }
    }
    return this.fail(c === undefined ? 'unexpected end of JSON' : `unexpected character ${JSON.stringify(c)}`);
  }

  object(path: string): Record<string, unknown> {
    this.i++;
    const out: Record<string, unknown> = {};
    const seen = new Set<string>();
    this.ws();
    if (this.s[this.i] === '}') {
      this.i++;
      return out;
    }
    for (;;) {
      this.ws();
      if (this.s[this.i] !== '"') this.fail('expected a quoted key');
      const key = this.string();
      const keyPath = path === '' ? key : `${path}.${key}`;
      if (seen.has(key)) this.fail(`duplicate key "${keyPath}"`);
      seen.add(key);
      this.ws();
      if (this.s[this.i] !== ':') this.fail('expected ":"');
      this.i++;
      this.ws();
      const v = this.value(keyPath);
      // defineProperty: a key "__proto__" must be data, not the prototype.
      Object.defineProperty(out, key, { value: v, enumerable: true, writable: true, configurable: true });
      this.ws();
      const c = this.s[this.i++];
      if (c === '}') return out;
      if (c !== ',') {
        this.i--;
        this.fail('expected "," or "}"');
      }
    }
  }

  array(path: string): unknown[] {
    this.i++;
    const out: unknown[] = [];
    this.ws();
    if (this.s[this.i] === ']') {
      this.i++;
      return out;
    }
    for (;;) {
      this.ws();
      out.push(this.value(`${path}[${out.length}]`));
      this.ws();
      const c = this.s[this.i++];
      if (c === ']') return out;
      if (c !== ',') {
        this.i--;
        this.fail('expected "," or "]"');
      }
    }
  }

  string(): string {
    STRING.lastIndex = this.i;
    const m = STRING.exec(this.s);
    if (!m) this.fail('invalid string');
    this.i += m[0].length;
    return JSON.parse(m[0]) as string;
  }

  number(): number {
    NUMBER.lastIndex = this.i;
    const m = NUMBER.exec(this.s);
    if (!m) this.fail('invalid number');
    this.i += m[0].length;
    return Number(m[0]);
  }
}

/** parseStrictJson with failures as one ImgsealError line prefixed by `what` (a file name, say). */
export function parseStrictJsonAs(text: string, what: string, code: ErrorCode = 'INVALID_ARGUMENT'): unknown {
  try {
    return parseStrictJson(text);
  } catch (err) {
    if (err instanceof StrictJsonError) throw new ImgsealError(code, `${what}: ${err.message}`);
    throw err;
  }
}
