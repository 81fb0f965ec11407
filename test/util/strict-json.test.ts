// The strict JSON parser for user-written configs: same values as JSON.parse for any
// JSON text, but duplicate keys and trailing garbage are errors with a position.
import assert from 'node:assert/strict';
import { test } from 'node:test';
import fc from 'fast-check';
import { parseStrictJson, StrictJsonError } from '../../src/util/strict-json.js';

test('agrees with JSON.parse on every JSON value (property)', () => {
  fc.assert(
    fc.property(fc.jsonValue(), fc.boolean(), (v, pretty) => {
      const text = JSON.stringify(v, null, pretty ? 2 : undefined);
      assert.deepEqual(parseStrictJson(text), JSON.parse(text));
    }),
    { numRuns: 300 },
  );
});

test('duplicate keys are errors naming the path', () => {
  assert.throws(() => parseStrictJson('{"a":{"b":1,"b":2}}'), (e: unknown) => e instanceof StrictJsonError && /duplicate key "a\.b" at line 1/.test(e.message));
  assert.throws(() => parseStrictJson('{\n "x": [ {"k":1, "k":1} ]\n}'), /duplicate key "x\[0\]\.k" at line 2/);
});

test('what JSON.parse refuses is refused too, with a position', () => {
  for (const bad of ['', '{', '{"a":1,}', '[1,]', '{"a" 1}', "{'a':1}", '01', '1.', '"\t"', 'nul', '{} x', '"\\x"']) {
    assert.throws(() => JSON.parse(bad), `JSON.parse refuses ${JSON.stringify(bad)}`);
    assert.throws(() => parseStrictJson(bad), (e: unknown) => e instanceof StrictJsonError && / at line \d+, column \d+$/.test(e.message), JSON.stringify(bad));
  }
});

test('"__proto__" is a plain key, not the prototype', () => {
  const v = parseStrictJson('{"__proto__":{"polluted":true}}') as Record<string, unknown>;
  assert.deepEqual(Object.keys(v), ['__proto__']);
  assert.equal(({} as Record<string, unknown>).polluted, undefined);
  assert.equal(Object.getPrototypeOf(v), Object.prototype);
});
