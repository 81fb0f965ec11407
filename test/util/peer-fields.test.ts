// Issue 12, defect 10: an interop test whose peer lacks a field it needs fails under
// CI=true (it used to return early and pass); outside CI it is skipped, not passed.
import assert from 'node:assert/strict';
import { test, type TestContext } from 'node:test';
import { peerWith, type RegistryPeer } from '../testkit/peers.js';

const PEER: RegistryPeer = { mode: 'tls-basic', state: '/tmp/x', host: '127.0.0.1:1', url: 'https://127.0.0.1:1', tls: true, user: 'u', raw: {} };

function withCI<T>(value: string | undefined, fn: () => T): T {
  const old = process.env.CI;
  if (value === undefined) delete process.env.CI;
  else process.env.CI = value;
  try {
    return fn();
  } finally {
    if (old === undefined) delete process.env.CI;
    else process.env.CI = old;
  }
}

test('under CI=true a missing field throws, naming it', (t) => {
  assert.throws(() => withCI('true', () => peerWith(t, PEER, 'user', 'password')), /no password in its peer\.json \(CI=true: a missing field is a failure/);
});

test('a peer with every field asked for is returned as is', (t) => {
  assert.equal(withCI('true', () => peerWith(t, PEER, 'user')), PEER);
});

test('outside CI a missing field skips the test (and returns nothing to run against)', () => {
  let skipped: string | undefined;
  const fake = { skip: (why: string) => (skipped = why) } as unknown as TestContext;
  assert.equal(withCI(undefined, () => peerWith(fake, PEER, 'ca')), undefined);
  assert.match(skipped ?? '', /no ca/);
});
