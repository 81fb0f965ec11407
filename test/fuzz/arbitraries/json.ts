/**
 * Mutated JSON documents: a valid document (a vector from test/fixtures or one built
 * here) with a few fields dropped, retyped, made huge, nested deep, duplicated or
 * named `__proto__`, then serialised, sometimes with the text itself damaged
 * (truncated, a byte changed, garbage inserted). Most cases stay close enough to
 * valid to reach the checks deep inside a parser, which random strings never do.
 */
import fc from 'fast-check';

/** JSON text spliced in as is (numbers JSON.stringify cannot write, deep nesting). */
export class Raw {
  constructor(readonly text: string) {}
}

/** An object written with these entries, repeated keys included. */
export class Dup {
  constructor(readonly entries: [string, unknown][]) {}
}

type Key = string | number;

/** Longest text one huge node becomes: past the parsers' size limits, still quick to generate. */
const MAX_TEXT = 300_000;

export function toJsonText(v: unknown): string {
  if (v instanceof Raw) return v.text;
  if (v instanceof Dup) return `{${v.entries.map(([k, x]) => `${JSON.stringify(k)}:${toJsonText(x)}`).join(',')}}`;
  if (Array.isArray(v)) return `[${v.map(toJsonText).join(',')}]`;
  if (typeof v === 'object' && v !== null) {
    return `{${Object.entries(v).map(([k, x]) => `${JSON.stringify(k)}:${toJsonText(x)}`).join(',')}}`;
  }
  return JSON.stringify(v) ?? 'null';
}

function clone(v: unknown): unknown {
  if (v instanceof Raw || v instanceof Dup) return v;
  if (Array.isArray(v)) return v.map(clone);
  if (typeof v === 'object' && v !== null) {
    const out: Record<string, unknown> = {};
    for (const [k, x] of Object.entries(v)) Object.defineProperty(out, k, { value: clone(x), enumerable: true, writable: true, configurable: true });
    return out;
  }
  return v;
}

function isPlainObject(v: unknown): v is Record<string, unknown> {
  return typeof v === 'object' && v !== null && !Array.isArray(v) && !(v instanceof Raw) && !(v instanceof Dup);
}

/** Every node's path, root first (bounded: a big seed keeps its first 4096 nodes). */
function allPaths(root: unknown): Key[][] {
  const out: Key[][] = [];
  const walk = (v: unknown, path: Key[]): void => {
    if (out.length >= 4096) return;
    out.push(path);
    if (Array.isArray(v)) v.forEach((x, i) => walk(x, [...path, i]));
    else if (isPlainObject(v)) for (const [k, x] of Object.entries(v)) walk(x, [...path, k]);
  };
  walk(root, []);
  return out;
}

// Values from fast-check may be shared between cases (constantFrom hands out one
// instance): every value is cloned before it goes into a document that is edited.
export type Mutation =
  | { op: 'drop' }
  | { op: 'set'; value: unknown }
  | { op: 'add'; key: string; value: unknown }
  | { op: 'dupKey'; value: unknown }
  | { op: 'wrap'; inArray: boolean }
  | { op: 'repeat'; times: number }
  | { op: 'deep'; depth: number; array: boolean };

/** Applies `m` at the node `selector` picks (modulo the node count); returns the new root. */
export function mutate(root: unknown, selector: number, m: Mutation): unknown {
  const paths = allPaths(root);
  const path = paths[selector % paths.length] ?? [];
  const get = (p: Key[]): unknown => p.reduce<unknown>((v, k) => (v as Record<Key, unknown>)[k], root);
  const current = get(path);
  let replacement: unknown;
  switch (m.op) {
    case 'drop':
      if (path.length === 0) return new Raw('');
      {
        const parent = get(path.slice(0, -1)) as Record<Key, unknown> | unknown[];
        const key = path[path.length - 1] as Key;
        if (Array.isArray(parent)) parent.splice(key as number, 1);
        else delete parent[key];
      }
      return root;
    case 'set':
      replacement = clone(m.value);
      break;
    case 'add':
      if (isPlainObject(current)) {
        Object.defineProperty(current, m.key, { value: clone(m.value), enumerable: true, writable: true, configurable: true });
        return root;
      }
      if (Array.isArray(current)) {
        current.push(clone(m.value));
        return root;
      }
      replacement = { [m.key]: clone(m.value) };
      break;
    case 'dupKey':
      if (!isPlainObject(current) || Object.keys(current).length === 0) return root;
      {
        const entries = Object.entries(current);
        const [k] = entries[0] as [string, unknown];
        replacement = new Dup([...entries, [k, clone(m.value)]]);
      }
      break;
    case 'wrap':
      replacement = m.inArray ? [current] : { value: current };
      break;
    case 'repeat': {
      // Spliced in as text, bounded by MAX_TEXT, so that a huge node costs one string.
      if (typeof current === 'string') {
        replacement = current.repeat(Math.max(1, Math.min(m.times, Math.floor(MAX_TEXT / Math.max(1, current.length)))));
        break;
      }
      const one = Array.isArray(current) ? toJsonText(current).slice(1, -1) : toJsonText(current);
      const times = Math.max(1, Math.min(m.times, Math.floor(MAX_TEXT / Math.max(1, one.length + 1))));
      replacement = new Raw(`[${Array.from({ length: times }, () => one).join(',')}]`);
      break;
    }
    case 'deep': {
      const inner = toJsonText(current);
      const depth = Math.max(1, Math.min(m.depth, Math.floor((MAX_TEXT - inner.length) / 6)));
      replacement = new Raw(m.array ? `${'['.repeat(depth)}${inner}${']'.repeat(depth)}` : `${'{"a":'.repeat(depth)}${inner}${'}'.repeat(depth)}`);
      break;
    }
  }
  if (path.length === 0) return replacement;
  const parent = get(path.slice(0, -1)) as Record<Key, unknown>;
  parent[path[path.length - 1] as Key] = replacement;
  return root;
}

/** Values put where a field was: wrong types, edge numbers, odd and huge strings, other JSON. */
export function junkValue(extra: fc.Arbitrary<unknown>[] = []): fc.Arbitrary<unknown> {
  return fc.oneof(
    { weight: 16, arbitrary: fc.constantFrom<unknown>(null, true, false, 0, -1, 1, 0.5, -0, 2 ** 31, 2 ** 32, 2 ** 53, 2 ** 53 + 2, -(2 ** 53), 1e21, 1e308, '', ' ', '\u0000', '\n', 'null', 'true', '0', '-1', '[]', '{}', [], {}, [null], { '': '' }) },
    { weight: 8, arbitrary: fc.constantFrom(new Raw('1e400'), new Raw('-1e400'), new Raw('-0'), new Raw('123456789012345678901234567890'), new Raw('0.1e-400'), new Raw('"\\ud800"'), new Raw('"\\u0000"')) },
    { weight: 8, arbitrary: fc.integer() },
    { weight: 4, arbitrary: fc.double({ noNaN: true, noDefaultInfinity: true }) },
    { weight: 12, arbitrary: fc.string({ unit: 'binary', maxLength: 40 }) },
    { weight: 8, arbitrary: fc.jsonValue({ maxDepth: 2 }) },
    { weight: 1, arbitrary: fc.integer({ min: 1_000, max: MAX_TEXT }).map((n) => 'a'.repeat(n)) },
    ...extra.map((arbitrary) => ({ weight: 16, arbitrary })),
  );
}

export function mutation(values: fc.Arbitrary<unknown>, keys: fc.Arbitrary<string>): fc.Arbitrary<Mutation> {
  // Huge nodes are rare (about one case in thirty): they are slow to parse, and one is enough.
  return fc.oneof(
    { weight: 12, arbitrary: fc.constant<Mutation>({ op: 'drop' }) },
    { weight: 24, arbitrary: values.map((value): Mutation => ({ op: 'set', value })) },
    { weight: 8, arbitrary: fc.record({ key: keys, value: values }).map(({ key, value }): Mutation => ({ op: 'add', key, value })) },
    { weight: 4, arbitrary: values.map((value): Mutation => ({ op: 'dupKey', value })) },
    { weight: 4, arbitrary: fc.boolean().map((inArray): Mutation => ({ op: 'wrap', inArray })) },
    { weight: 4, arbitrary: fc.integer({ min: 2, max: 8 }).map((times): Mutation => ({ op: 'repeat', times })) },
    { weight: 4, arbitrary: fc.record({ depth: fc.integer({ min: 1, max: 64 }), array: fc.boolean() }).map((d): Mutation => ({ op: 'deep', ...d })) },
    { weight: 1, arbitrary: fc.integer({ min: 100, max: 100_000 }).map((times): Mutation => ({ op: 'repeat', times })) },
    { weight: 1, arbitrary: fc.record({ depth: fc.integer({ min: 1000, max: 100_000 }), array: fc.boolean() }).map((d): Mutation => ({ op: 'deep', ...d })) },
  );
}

/** Damage done to the serialised text, after the structural mutations. */
export type TextDamage = { at: number; kind: 'truncate' } | { at: number; kind: 'replace' | 'insert'; text: string } | { kind: 'bom' };

function damage(text: string, d: TextDamage | null): string {
  if (d === null) return text;
  if (d.kind === 'bom') return `\ufeff${text}`;
  const at = text.length === 0 ? 0 : d.at % (text.length + 1);
  if (d.kind === 'truncate') return text.slice(0, at);
  if (d.kind === 'insert') return text.slice(0, at) + d.text + text.slice(at);
  return text.slice(0, at) + d.text + text.slice(at + d.text.length);
}

const textDamage: fc.Arbitrary<TextDamage> = fc.oneof(
  fc.record({ at: fc.nat(), kind: fc.constant('truncate' as const) }),
  fc.record({ at: fc.nat(), kind: fc.constantFrom('replace' as const, 'insert' as const), text: fc.oneof(fc.string({ unit: 'binary', minLength: 1, maxLength: 4 }), fc.constantFrom('"', '{', '}', '[', ']', ',', ':', '\\', '\\u', '\u0000')) }),
  fc.constant<TextDamage>({ kind: 'bom' }),
);

export interface MutatedJsonOptions {
  /** Values that matter to this parser (digests, media types, base64 strings, …). */
  values?: fc.Arbitrary<unknown>[];
  /** Field names worth adding (the parser's own, in other cases). */
  keys?: string[];
  maxMutations?: number;
}

/** JSON text: one of `seeds`, mutated; about one case in eight is the seed unchanged. */
export function mutatedJson(seeds: readonly unknown[], o: MutatedJsonOptions = {}): fc.Arbitrary<string> {
  if (seeds.length === 0) throw new Error('mutatedJson needs at least one seed');
  const values = junkValue(o.values);
  const keys = fc.oneof(fc.constantFrom('__proto__', 'constructor', 'toString', '', ...(o.keys ?? [])), fc.string({ maxLength: 8 }));
  const steps = fc.array(fc.tuple(fc.nat(), mutation(values, keys)), { minLength: 0, maxLength: o.maxMutations ?? 4 });
  return fc
    .tuple(fc.nat({ max: seeds.length - 1 }), steps, fc.option(textDamage, { freq: 5 }))
    .map(([i, ms, d]) => {
      let doc = clone(seeds[i]);
      for (const [selector, m] of ms) doc = mutate(doc, selector, m);
      const text = toJsonText(doc);
      return damage(text, d);
    });
}
