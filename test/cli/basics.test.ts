// Issue 3, part 7: CLI help and usage errors (exit 2, one line on stderr, nothing written).
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, test } from 'node:test';
import { errorLines, FIXTURES, runCli } from '../testkit/cli.js';
import { buildLayout } from '../testkit/image-builder.js';
import { snapshotTree } from '../testkit/image-reader.js';

const HELP: Record<string, string[]> = {
  copy: ['--encryption-key', '--encrypt-layer', '--decryption-key', '--platform', '--all-platforms', '--jobs', '--quiet', '--json', '--src-creds', '--dest-tls-verify', '--authfile'],
  encrypt: ['--encryption-key', '--encrypt-layer', '--platform', '--all-platforms', '--quiet', '--json'],
  decrypt: ['--decryption-key', '--platform', '--all-platforms', '--quiet', '--json'],
  layerinfo: ['--platform', '--json', '--creds', '--tls-verify', '--cert-dir'],
  inspect: ['--raw', '--config', '--platform', '--creds', '--tls-verify', '--cert-dir'],
  keygen: ['--type', '--bits', '--curve', '--output', '--private-key', '--public-key', '--force', '--json'],
};

describe('--help', { concurrency: 3 }, () => {
  for (const [cmd, flags] of Object.entries(HELP)) {
    test(`${cmd} --help mentions its flags`, async () => {
      const r = await runCli([cmd, '--help']);
      assert.equal(r.code, 0, r.stderr);
      assert.match(r.stdout, new RegExp(`^Usage: imgseal ${cmd} `));
      for (const f of flags) assert.ok(r.stdout.includes(f), `${cmd} --help lacks ${f}`);
    });
  }
  test('encrypt --help does not offer --decryption-key, decrypt --help no --encryption-key', async () => {
    assert.ok(!(await runCli(['encrypt', '--help'])).stdout.includes('--decryption-key'));
    assert.ok(!(await runCli(['decrypt', '--help'])).stdout.includes('--encryption-key'));
  });
  test('top-level --help lists every command', async () => {
    const r = await runCli(['--help']);
    assert.equal(r.code, 0);
    for (const cmd of Object.keys(HELP)) assert.match(r.stdout, new RegExp(`^\\s+${cmd}\\b`, 'm'));
  });
});

const tmp = mkdtempSync(join(tmpdir(), 'imgseal-cli-'));
const src = join(tmp, 'src');
const PUB = join(FIXTURES, 'jwe-rsa2048/keys/rsa1_pub.pem');
before(async () => {
  await buildLayout(src, [{ files: { 'a.txt': 'a\n' }, compression: 'gzip' }]);
});
after(() => rmSync(tmp, { recursive: true, force: true }));

const USAGE: [string, (dest: string) => string[], RegExp][] = [
  ['unknown transport', (d) => ['copy', 'nosuch:foo', `oci:${d}:x`], /^imgseal: .*unknown transport "nosuch"/],
  ['no transport at all', (d) => ['copy', src, `oci:${d}:x`], /^imgseal: .*expected TRANSPORT:REFERENCE/],
  ['unknown destination transport', (d) => ['copy', `oci:${src}:base`, `nosuch:${d}`], /^imgseal: .*unknown transport/],
  ['bad oci reference (empty path)', () => ['copy', `oci:${src}:base`, 'oci:'], /^imgseal: .*empty path/],
  ['bad oci ref name', (d) => ['copy', `oci:${src}:base`, `oci:${d}:bad ref!`], /^imgseal: .*not a valid image ref name/],
  ['bad platform', (d) => ['copy', '--platform', 'linux', `oci:${src}:base`, `oci:${d}:x`], /^imgseal: .*invalid platform "linux"/],
  ['bad platform (too many parts)', (d) => ['encrypt', '--encryption-key', `jwe:${PUB}`, '--platform', 'linux/arm/v7/x', `oci:${src}:base`, `oci:${d}:x`], /^imgseal: .*invalid platform/],
  ['non-integer --encrypt-layer', (d) => ['encrypt', '--encryption-key', `jwe:${PUB}`, '--encrypt-layer', 'top', `oci:${src}:base`, `oci:${d}:x`], /^error: .*"top" is not an integer/],
  ['fractional --encrypt-layer', (d) => ['copy', '--encryption-key', `jwe:${PUB}`, '--encrypt-layer', '1.5', `oci:${src}:base`, `oci:${d}:x`], /^error: .*not an integer/],
  ['--encrypt-layer without --encryption-key', (d) => ['copy', '--encrypt-layer', '0', `oci:${src}:base`, `oci:${d}:x`], /^imgseal: .*--encrypt-layer can only be used with --encryption-key/],
  ['encrypt without recipients', (d) => ['encrypt', `oci:${src}:base`, `oci:${d}:x`], /^imgseal: .*no recipients/],
  ['unknown recipient scheme', (d) => ['encrypt', '--encryption-key', `foo:${PUB}`, `oci:${src}:base`, `oci:${d}:x`], /^imgseal: .*not recognized: foo/],
  ['private key as recipient', (d) => ['encrypt', '--encryption-key', `jwe:${join(FIXTURES, 'jwe-rsa2048/keys/rsa1_priv.pem')}`, `oci:${src}:base`, `oci:${d}:x`], /^imgseal: .*not a public key/],
  ['bad --jobs', (d) => ['copy', '--jobs', '0', `oci:${src}:base`, `oci:${d}:x`], /^error: .*positive integer/],
  ['unknown flag', (d) => ['copy', '--no-such-flag', `oci:${src}:base`, `oci:${d}:x`], /^error: unknown option/],
  ['missing argument', () => ['layerinfo'], /^error: missing required argument/],
  ['unknown command', () => ['frobnicate'], /^error: unknown command/],
];

describe('usage errors', { concurrency: 4 }, () => {
  for (const [name, args, message] of USAGE) {
    test(`${name} → exit 2, one line`, async () => {
      const dest = join(tmp, `dest-${name.replace(/\W+/g, '-')}`);
      const before = snapshotTree(src);
      const r = await runCli(args(dest));
      assert.equal(r.code, 2, `exit code; stderr: ${r.stderr}`);
      const lines = errorLines(r.stderr);
      assert.equal(lines.length, 1, r.stderr);
      assert.match(lines[0]!, message);
      // Besides the error, at most commander's usage hint.
      const rest = r.stderr.split('\n').filter((l) => l.trim() !== '' && !lines.includes(l));
      assert.ok(rest.every((l) => l === '(run with --help for usage)'), r.stderr);
      assert.doesNotMatch(r.stderr, /^\s+at /m);
      assert.equal(r.stdout, '');
      assert.equal(snapshotTree(dest), undefined, 'nothing written');
      assert.deepEqual(snapshotTree(src), before);
    });
  }
});

test('an operation failure (missing source) exits 1 with one imgseal: line', async () => {
  const r = await runCli(['copy', `oci:${join(tmp, 'nope')}:x`, `oci:${join(tmp, 'o')}:x`]);
  assert.equal(r.code, 1);
  assert.deepEqual(errorLines(r.stderr).length, 1);
  assert.match(r.stderr, /^imgseal: .*index\.json missing/m);
});

test('--version prints the version and exits 0', async () => {
  const r = await runCli(['--version']);
  assert.equal(r.code, 0);
  assert.match(r.stdout, /^\d+\.\d+\.\d+/);
});
