// Issue 3, part 6: imgseal keygen.
import assert from 'node:assert/strict';
import { createHash, createPrivateKey, createPublicKey, type KeyObject } from 'node:crypto';
import { mkdtempSync, readFileSync, rmSync, statSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, describe, test } from 'node:test';
import { errorLines, runCli, type CliResult } from '../testkit/cli.js';

const tmp = mkdtempSync(join(tmpdir(), 'imgseal-keygen-'));
after(() => rmSync(tmp, { recursive: true, force: true }));
let n = 0;
const base = (): string => join(tmp, `k${n++}`);

/** RFC 7638 thumbprint, computed here independently of the code under test. */
function thumbprint(pub: KeyObject): string {
  const jwk = pub.export({ format: 'jwk' });
  const canon = jwk.kty === 'RSA' ? { e: jwk.e, kty: jwk.kty, n: jwk.n } : { crv: jwk.crv, kty: jwk.kty, x: jwk.x, y: jwk.y };
  return createHash('sha256').update(JSON.stringify(canon)).digest('base64url');
}

function assertNoSecret(r: CliResult, privPem: string): void {
  const body = privPem.split('\n').filter((l) => l && !l.startsWith('-----'));
  assert.ok(body.length > 0);
  for (const out of [r.stdout, r.stderr]) {
    assert.doesNotMatch(out, /PRIVATE KEY-----/);
    for (const line of body) assert.ok(!out.includes(line), 'private key material printed');
  }
}

/** Exactly one error line; commander may add its "(run with --help for usage)" hint. */
function assertUsageError(r: CliResult): void {
  assert.equal(r.code, 2, r.stderr);
  const lines = r.stderr.split('\n').filter((l) => l.trim() !== '');
  assert.equal(errorLines(r.stderr).length, 1, r.stderr);
  assert.ok(lines.every((l) => errorLines(l).length === 1 || l === '(run with --help for usage)'), r.stderr);
  assert.equal(r.stdout, '');
}

const KINDS: { args: string[]; type: string; check: (k: KeyObject) => void }[] = [
  { args: ['--type', 'rsa', '--bits', '2048'], type: 'RSA 2048', check: (k) => assert.equal(k.asymmetricKeyDetails?.modulusLength, 2048) },
  { args: ['--type', 'rsa', '--bits', '3072'], type: 'RSA 3072', check: (k) => assert.equal(k.asymmetricKeyDetails?.modulusLength, 3072) },
  { args: ['--type', 'rsa', '--bits', '4096'], type: 'RSA 4096', check: (k) => assert.equal(k.asymmetricKeyDetails?.modulusLength, 4096) },
  { args: ['--type', 'rsa'], type: 'RSA 3072', check: (k) => assert.equal(k.asymmetricKeyDetails?.modulusLength, 3072) },
  { args: ['--type', 'ec', '--curve', 'P-256'], type: 'EC P-256', check: (k) => assert.equal(k.asymmetricKeyDetails?.namedCurve, 'prime256v1') },
  { args: ['--type', 'ec', '--curve', 'P-384'], type: 'EC P-384', check: (k) => assert.equal(k.asymmetricKeyDetails?.namedCurve, 'secp384r1') },
  { args: ['--type', 'ec'], type: 'EC P-256', check: (k) => assert.equal(k.asymmetricKeyDetails?.namedCurve, 'prime256v1') },
];

describe('keygen key kinds', { concurrency: 3 }, () => {
  for (const kind of KINDS) {
    test(`keygen ${kind.args.join(' ')}`, async () => {
      const b = base();
      const r = await runCli(['keygen', '--json', ...kind.args, '-o', b]);
      assert.equal(r.code, 0, r.stderr);
      const out = JSON.parse(r.stdout) as { type: string; privateKey: string; publicKey: string; fingerprint: string };
      assert.equal(out.type, kind.type);
      assert.equal(out.privateKey, `${b}.key`);
      assert.equal(out.publicKey, `${b}.pub.pem`);
      assert.equal(statSync(out.privateKey).mode & 0o777, 0o600, 'private key mode 0600');
      assert.equal(statSync(out.publicKey).mode & 0o077, statSync(out.publicKey).mode & 0o044, 'public key not writable by others');
      const privPem = readFileSync(out.privateKey, 'utf8');
      assert.match(privPem, /^-----BEGIN PRIVATE KEY-----\n/);
      const priv = createPrivateKey(privPem);
      kind.check(priv);
      const pub = createPublicKey(readFileSync(out.publicKey, 'utf8'));
      assert.equal(pub.type, 'public');
      assert.deepEqual(pub.export({ format: 'der', type: 'spki' }), createPublicKey(priv).export({ format: 'der', type: 'spki' }), 'public key belongs to the private key');
      assert.equal(out.fingerprint, thumbprint(pub));
      assertNoSecret(r, privPem);
    });
  }
});

test('keygen (text output) names the files and the fingerprint and prints no secret', async () => {
  const b = base();
  const r = await runCli(['keygen', '--type', 'ec', '-o', b]);
  assert.equal(r.code, 0, r.stderr);
  const pub = createPublicKey(readFileSync(`${b}.pub.pem`, 'utf8'));
  assert.ok(r.stdout.includes(`${b}.key`) && r.stdout.includes(`${b}.pub.pem`), r.stdout);
  assert.ok(r.stdout.includes(thumbprint(pub)), r.stdout);
  assert.ok(r.stdout.includes(`--encryption-key jwe:${b}.pub.pem`));
  assertNoSecret(r, readFileSync(`${b}.key`, 'utf8'));
});

test('keygen --private-key/--public-key write where asked', async () => {
  const priv = join(tmp, `p${n++}.pem`);
  const pub = join(tmp, `q${n++}.pem`);
  const r = await runCli(['keygen', '--type', 'ec', '--private-key', priv, '--public-key', pub]);
  assert.equal(r.code, 0, r.stderr);
  assert.equal(statSync(priv).mode & 0o777, 0o600);
  assert.equal(createPublicKey(readFileSync(pub)).asymmetricKeyType, 'ec');
});

test('keygen refuses to overwrite without --force, and replaces with it', async () => {
  const b = base();
  assert.equal((await runCli(['keygen', '--type', 'ec', '-o', b])).code, 0);
  const before = [readFileSync(`${b}.key`), readFileSync(`${b}.pub.pem`)];
  const r = await runCli(['keygen', '--type', 'ec', '-o', b]);
  assert.notEqual(r.code, 0);
  const lines = errorLines(r.stderr);
  assert.equal(lines.length, 1, r.stderr);
  assert.match(lines[0]!, /already exists.*--force/);
  assert.deepEqual([readFileSync(`${b}.key`), readFileSync(`${b}.pub.pem`)], before, 'files unchanged');
  // Only the public key exists: still refused, and no private key appears.
  const c = base();
  assert.equal((await runCli(['keygen', '--type', 'ec', '--private-key', `${c}.other`, '--public-key', `${c}.pub.pem`])).code, 0);
  rmSync(`${c}.other`);
  const r2 = await runCli(['keygen', '--type', 'ec', '-o', c]);
  assert.notEqual(r2.code, 0);
  assert.throws(() => statSync(`${c}.key`), 'no lone private key left behind');

  const f = await runCli(['keygen', '--type', 'ec', '--force', '-o', b]);
  assert.equal(f.code, 0, f.stderr);
  assert.notDeepEqual(readFileSync(`${b}.key`), before[0]);
  assert.equal(statSync(`${b}.key`).mode & 0o777, 0o600);
});

for (const args of [
  ['--type', 'rsa', '--bits', '1024'],
  ['--type', 'rsa', '--bits', 'lots'],
  ['--type', 'dsa'],
  ['--type', 'ec', '--curve', 'P-521'],
  ['--type', 'ec', '--bits', '2048'],
  ['--type', 'rsa', '--curve', 'P-256'],
  ['--type', 'rsa'],
  ['--no-such-flag'],
]) {
  test(`keygen ${args.join(' ')} is a usage error (exit 2, one line) and writes nothing`, async () => {
    const b = base();
    const withOut = args.includes('--type') && !(args.length === 2 && args[1] === 'rsa') ? [...args, '-o', b] : args;
    const r = await runCli(['keygen', ...withOut]);
    assertUsageError(r);
    assert.throws(() => statSync(`${b}.key`));
    assert.throws(() => statSync(`${b}.pub.pem`));
  });
}
