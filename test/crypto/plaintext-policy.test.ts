// How strictly a plaintext that differs from the private options' digest is treated
// (crypto/layer PlaintextVerifier): by default only a matching diff_id excuses it.
import assert from 'node:assert/strict';
import { createHash } from 'node:crypto';
import { gzipSync } from 'node:zlib';
import { Readable, Writable } from 'node:stream';
import { pipeline } from 'node:stream/promises';
import { test } from 'node:test';
import { PlaintextVerifier, type PlaintextExpectations } from '../../src/crypto/index.js';
import { isImgsealError } from '../../src/errors.js';

const tar = Buffer.from('pretend this is a tar\n'.repeat(100));
const blob = gzipSync(tar);
const sha = (b: Buffer): `sha256:${string}` => `sha256:${createHash('sha256').update(b).digest('hex')}`;
const WRONG = sha(Buffer.from('something else'));

async function run(expect: Omit<PlaintextExpectations, 'what' | 'compression'>): Promise<string[]> {
  const warnings: string[] = [];
  const sink = new Writable({ write: (_c, _e, cb) => cb() });
  await pipeline(Readable.from([blob]), new PlaintextVerifier({ ...expect, compression: 'gzip', what: 'layer 0', warn: (m) => warnings.push(m) }), sink);
  return warnings;
}

test('a matching digest passes under every policy', async () => {
  for (const p of ['unless-diff-id', 'fail', 'warn'] as const) assert.deepEqual(await run({ privateOptionsDigest: sha(blob), privateOptionsDigestMismatch: p }), []);
});

test('default: a mismatch fails without a diff_id, and is excused (with a warning) by a matching one', async () => {
  await assert.rejects(run({ privateOptionsDigest: WRONG }), (e) => isImgsealError(e, 'PLAINTEXT_DIGEST_MISMATCH'));
  const w = await run({ privateOptionsDigest: WRONG, diffId: sha(tar) });
  assert.equal(w.length, 1);
  assert.match(w[0]!, /accepted because the diff_id matches/);
});

test("'fail': a mismatch fails even with a matching diff_id", async () => {
  await assert.rejects(run({ privateOptionsDigest: WRONG, diffId: sha(tar), privateOptionsDigestMismatch: 'fail' }), (e) => isImgsealError(e, 'PLAINTEXT_DIGEST_MISMATCH'));
});

test("'warn': a mismatch without any diff_id is accepted with a warning (a decoder has no config)", async () => {
  const w = await run({ privateOptionsDigest: WRONG, privateOptionsDigestMismatch: 'warn' });
  assert.equal(w.length, 1);
  assert.match(w[0]!, /accepted \(HMAC verified\)/);
  await assert.rejects(run({ privateOptionsDigest: WRONG, diffId: WRONG, privateOptionsDigestMismatch: 'warn' }), (e) => isImgsealError(e, 'DIFF_ID_MISMATCH'), 'a wrong diff_id still fails');
});
