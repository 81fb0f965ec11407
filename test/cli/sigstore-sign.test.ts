// imgseal copy --sign-by-sigstore-private-key to dir: (no registry needed): the new
// signature is stored as a sigstore-json signature-N next to the carried ones, names the
// manifest as written and --sign-identity, verifies under sigstoreSigned with the key's
// public half and not with another key; passphrase failures are one line, nothing written.
import assert from 'node:assert/strict';
import { existsSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, test } from 'node:test';
import * as openpgp from 'openpgp';
import { errorLines, runCli } from '../testkit/cli.js';

const F = new URL('../../../test/fixtures/signing/', import.meta.url).pathname;
const SIGNED_DIR = join(F, 'simple-lookaside/pulled-dir-transport');
const KEY = join(F, 'sigstore-attachment/cosign-a.key');
const PASS = join(F, 'sigstore-attachment/cosign-a.password.txt');
const DIGEST = 'sha256:5919302076be9b539bdee994e1f196b582be4beafdca6412db2fce483e7a74b8';
const tmp = mkdtempSync(join(tmpdir(), 'imgseal-sigstore-sign-'));
after(() => rmSync(tmp, { recursive: true, force: true }));
let n = 0;
const fresh = (): string => join(tmp, `out${n++}`);

function policy(dir: string, pub: string): string {
  const p = join(tmp, `policy${n++}.json`);
  const req = { type: 'sigstoreSigned', keyPath: join(F, 'sigstore-attachment', pub), signedIdentity: { type: 'exactReference', dockerReference: 'registry.example.com/signed/app:v2' } };
  writeFileSync(p, JSON.stringify({ default: [{ type: 'reject' }], transports: { dir: { [dir]: [req] } } }));
  return p;
}

test('a sigstore signature joins the carried simple signature in dir:, with --sign-identity, and verifies with key A only', async () => {
  const out = fresh();
  const r = await runCli(['copy', '-q', '--insecure-policy', '--sign-by-sigstore-private-key', KEY, '--sign-passphrase-file', PASS, '--sign-identity', 'registry.example.com/signed/app:v2', `dir:${SIGNED_DIR}`, `dir:${out}`], { env: { COSIGN_PASSWORD: 'wrong, the file wins' } });
  assert.equal(r.code, 0, r.stderr);
  assert.deepEqual(readFileSync(join(out, 'signature-1')), readFileSync(join(SIGNED_DIR, 'signature-1')), 'the simple signature travels unchanged');
  const stored = readFileSync(join(out, 'signature-2'));
  assert.equal(stored.subarray(0, 15).toString('latin1'), '\x00sigstore-json\n');
  const doc = JSON.parse(stored.subarray(15).toString());
  assert.deepEqual(Object.keys(doc), ['mimeType', 'payload', 'annotations']);
  assert.equal(doc.mimeType, 'application/vnd.dev.cosign.simplesigning.v1+json');
  const payload = JSON.parse(Buffer.from(doc.payload, 'base64').toString());
  assert.equal(payload.critical.identity['docker-reference'], 'registry.example.com/signed/app:v2');
  assert.equal(payload.critical.image['docker-manifest-digest'], DIGEST);
  assert.equal(payload.optional.creator, 'imgseal 0.1.0');
  assert.equal(existsSync(join(out, 'signature-3')), false);
  const ok = await runCli(['copy', '-q', '--policy', policy(out, 'cosign-a.pub'), `dir:${out}`, `oci:${fresh()}:v1`, '--remove-signatures']);
  assert.equal(ok.code, 0, ok.stderr);
  const no = fresh();
  const bad = await runCli(['copy', '-q', '--policy', policy(out, 'cosign-b.pub'), `dir:${out}`, `oci:${no}:v1`, '--remove-signatures']);
  assert.equal(bad.code, 1);
  assert.deepEqual(errorLines(bad.stderr), ['imgseal: Source image rejected: cryptographic signature verification failed: invalid signature']);
  assert.equal(existsSync(no), false);
});

test('COSIGN_PASSWORD is the passphrase without a file; a wrong one, or none without a terminal: one line, nothing written', async () => {
  const good = fresh();
  const r = await runCli(['copy', '-q', '--insecure-policy', '--remove-signatures', '--sign-by-sigstore-private-key', KEY, '--sign-identity', 'registry.example.com/signed/app:v2', `dir:${SIGNED_DIR}`, `dir:${good}`], { env: { COSIGN_PASSWORD: 'testpass' } });
  assert.equal(r.code, 0, r.stderr);
  assert.equal(readFileSync(join(good, 'signature-1'))[0], 0x00);
  const cases: [Record<string, string | undefined>, string][] = [
    [{ COSIGN_PASSWORD: 'nope' }, `imgseal: ${KEY}: decrypt: incorrect passphrase (or a damaged key file)`],
    [{ COSIGN_PASSWORD: undefined }, `imgseal: Passphrase for the sigstore private key ${KEY} is needed and there is no terminal to ask on: give --sign-passphrase-file FILE or set COSIGN_PASSWORD`],
  ];
  for (const [env, line] of cases) {
    const out = fresh();
    const f = await runCli(['copy', '-q', '--insecure-policy', '--remove-signatures', '--sign-by-sigstore-private-key', KEY, `dir:${SIGNED_DIR}`, `dir:${out}`], { env });
    assert.notEqual(f.code, 0);
    assert.deepEqual(errorLines(f.stderr), [line]);
    assert.equal(existsSync(out), false);
  }
});

test('with an OpenPGP key too: both kinds are made, and a policy requiring both (signedBy AND sigstoreSigned) accepts', async () => {
  const { privateKey, publicKey } = await openpgp.generateKey({ type: 'ecc', curve: 'ed25519Legacy', userIDs: [{ email: 'both@example.test' }], format: 'armored' });
  const pgpKey = join(tmp, 'both.asc');
  const pgpPub = join(tmp, 'both.pub.asc');
  writeFileSync(pgpKey, privateKey);
  writeFileSync(pgpPub, publicKey);
  const out = fresh();
  const r = await runCli(['copy', '-q', '--insecure-policy', '--remove-signatures', '--sign-by-key-file', pgpKey, '--sign-by-sigstore-private-key', KEY, '--sign-identity', 'registry.example.com/signed/app:v2', `dir:${SIGNED_DIR}`, `dir:${out}`], { env: { COSIGN_PASSWORD: 'testpass' } });
  assert.equal(r.code, 0, r.stderr);
  assert.notEqual(readFileSync(join(out, 'signature-1'))[0], 0x00, 'signature-1 is the OpenPGP one');
  assert.equal(readFileSync(join(out, 'signature-2'))[0], 0x00, 'signature-2 is the sigstore one');
  const identity = { type: 'exactReference', dockerReference: 'registry.example.com/signed/app:v2' };
  const both = (sigstorePub: string): string => {
    const p = join(tmp, `both-policy${n++}.json`);
    const reqs = [
      { type: 'signedBy', keyType: 'GPGKeys', keyPath: pgpPub, signedIdentity: identity },
      { type: 'sigstoreSigned', keyPath: join(F, 'sigstore-attachment', sigstorePub), signedIdentity: identity },
    ];
    writeFileSync(p, JSON.stringify({ default: [{ type: 'reject' }], transports: { dir: { [out]: reqs } } }));
    return p;
  };
  const ok = await runCli(['copy', '-q', '--policy', both('cosign-a.pub'), `dir:${out}`, `oci:${fresh()}:v1`, '--remove-signatures']);
  assert.equal(ok.code, 0, ok.stderr);
  const no = fresh();
  const bad = await runCli(['copy', '-q', '--policy', both('cosign-b.pub'), `dir:${out}`, `oci:${no}:v1`, '--remove-signatures']);
  assert.equal(bad.code, 1);
  assert.deepEqual(errorLines(bad.stderr), ['imgseal: Source image rejected: cryptographic signature verification failed: invalid signature']);
  assert.equal(existsSync(no), false);
});
