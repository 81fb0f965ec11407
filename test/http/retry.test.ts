/** Retry delays: exponential backoff, Retry-After in seconds or as a date on the injected clock, the cap. */
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { backoffDelay, retryOptions } from '../../src/http/index.js';

const noSleep = async (): Promise<void> => {};

test('backoff doubles per attempt and is capped', () => {
  const o = retryOptions({ retryDelayMs: 10, sleep: noSleep });
  assert.deepEqual([1, 2, 3].map((a) => backoffDelay(o, a)), [10, 20, 40]);
  assert.equal(backoffDelay(o, 20), 320);
});

test('Retry-After seconds and dates are honoured; a date is measured on the injected clock', () => {
  const now = Date.parse('2026-12-01T12:00:00Z');
  const o = retryOptions({ retryDelayMs: 1000, sleep: noSleep, now: () => now });
  assert.equal(backoffDelay(o, 1, '3'), 3000);
  assert.equal(backoffDelay(o, 1, 'Tue, 01 Dec 2026 12:00:05 GMT'), 5000);
  assert.equal(backoffDelay(o, 1, 'Tue, 01 Dec 2026 11:59:00 GMT'), 0);
  assert.equal(backoffDelay(o, 1, '100000'), 32_000);
});

test('retry count is clamped to 0..100', () => {
  assert.equal(retryOptions({ retryTimes: -4 }).retryTimes, 0);
  assert.equal(retryOptions({ retryTimes: 1000 }).retryTimes, 100);
  assert.equal(retryOptions({}).retryTimes, 3);
});
