// standalone-sign / standalone-verify as skopeo's: the skopeo-made vectors verify with
// the recorded results, and imgseal's standalone signature verifies with skopeo and gpg.
import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import { mkdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { after, test } from 'node:test';
import { peersDir } from '../testkit/peers.js';
import { requireTool } from '../testkit/tools.js';
import { assertOneLineFailure, imgseal, imgsealOk, runTool, workDir } from './helpers.js';

const F = new URL('../../../test/fixtures/signing/', import.meta.url).pathname;
const MANIFEST = join(F, 'image/manifest.json');
const SIG_A = join(F, 'simple-standalone/sig-key-a-registry.example.com_test_small_v1.sig');
const FPR_A = 'BC83425A69C2897EF85EDB69CBE55E801C44403D';
const FPR_B = '0C22AB82519EA6FDCA941F5FAECE4D5FCB0D6F85';
const KEY_A = join(F, 'keys/key-a.pub.gpg');
const work = workDir('standalone');

test('skopeo vectors: accepted, wrong fingerprint, wrong reference, modified manifest, normalised reference', async () => {
  const ok = await imgsealOk(['standalone-verify', '--public-key-file', KEY_A, MANIFEST, 'registry.example.com/test/small:v1', FPR_A, SIG_A]);
  assert.equal(ok.stdout, `Signature verified using fingerprint ${FPR_A}, digest sha256:5919302076be9b539bdee994e1f196b582be4beafdca6412db2fce483e7a74b8\n`);
  assertOneLineFailure(await imgseal(['standalone-verify', '--public-key-file', KEY_A, MANIFEST, 'registry.example.com/test/small:v1', FPR_B, SIG_A]), new RegExp(`Signature by ${FPR_A} does not match expected fingerprint ${FPR_B}$`), 'fpr');
  assertOneLineFailure(await imgseal(['standalone-verify', '--public-key-file', KEY_A, MANIFEST, 'registry.example.com/test/small:v2', FPR_A, SIG_A]), /Docker reference registry\.example\.com\/test\/small:v1 does not match registry\.example\.com\/test\/small:v2$/, 'ref');
  assertOneLineFailure(await imgseal(['standalone-verify', '--public-key-file', KEY_A, join(F, 'image/manifest-modified.json'), 'registry.example.com/test/small:v1', FPR_A, SIG_A]), /Signature for docker digest "sha256:5919.*" does not match$/, 'digest');
  await imgsealOk(['standalone-verify', '--public-key-file', KEY_A, MANIFEST, 'docker.io/library/busybox:latest', 'any', join(F, 'simple-standalone/sig-key-a-busybox_latest-unnormalized.sig')]);
});

test('imgseal standalone-sign → skopeo standalone-verify and gpg accept it', async (t) => {
  if (!requireTool('gpg', t) || !requireTool('skopeo', t)) return;
  const state = work.dir('gpg');
  mkdirSync(state, { recursive: true });
  execFileSync('bash', [join(peersDir(), 'gpg', 'make-key.sh'), state, 'standalone@example.test'], { stdio: 'pipe' });
  after(() => execFileSync('bash', [join(peersDir(), 'gpg', 'stop.sh'), state], { stdio: 'ignore' }));
  const fpr = readFileSync(join(state, 'fingerprint'), 'utf8').trim();
  const env = { GNUPGHOME: join(state, 'gnupg') };
  const out = join(work.root, 'sig');
  await imgsealOk(['standalone-sign', MANIFEST, 'registry.example.com/test/small:v1', fpr, '-o', out], { env });
  const sk = await runTool('skopeo', ['standalone-verify', MANIFEST, 'registry.example.com/test/small:v1', fpr, out], { env: { ...process.env, ...env } });
  assert.equal(sk.code, 0, sk.stderr);
  assert.match(sk.stdout, /Signature verified/);
  const g = await runTool('gpg', ['--batch', '--verify', out], { env: { ...process.env, ...env } });
  assert.equal(g.code, 0, g.stderr);
  // our verifier from the GnuPG keyring (no --public-key-file)
  await imgsealOk(['standalone-verify', MANIFEST, 'registry.example.com/test/small:v1', fpr, out], { env });
});
