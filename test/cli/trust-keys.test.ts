/**
 * `imgseal trust key generate|load` without a server: keys land in the trust dir as
 * notary keeps them (0600, encrypted, role header), a key file others can read is
 * refused, a bad signer name or a missing passphrase is one line, and nothing is printed
 * of the key or the passphrase.
 */
import assert from 'node:assert/strict';
import { generateKeyPairSync } from 'node:crypto';
import { mkdtempSync, readdirSync, readFileSync, statSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { test } from 'node:test';
import { runCli } from '../testkit/cli.js';

const PASS = 'repo-pass-5678';

function setup() {
  const root = mkdtempSync(join(tmpdir(), 'trust-keys-'));
  const env = { DOCKER_CONFIG: join(root, 'docker'), HOME: root, DOCKER_CONTENT_TRUST_REPOSITORY_PASSPHRASE: PASS };
  return { root, env, priv: join(root, 'docker', 'trust', 'private') };
}

test('key load imports a 0600 PEM key as signer NAME, and refuses one others can read', async () => {
  const { root, env, priv } = setup();
  const { privateKey } = generateKeyPairSync('ec', { namedCurve: 'P-256' });
  const file = join(root, 'bob.pem');
  writeFileSync(file, privateKey.export({ format: 'pem', type: 'pkcs8' }) as string, { mode: 0o644 });
  const refused = await runCli(['trust', 'key', 'load', file, '--name', 'bob'], { env });
  assert.equal(refused.code, 1);
  assert.match(refused.stderr, /^imgseal: private key file .* must not be readable or writable by group or others/);
  writeFileSync(file, privateKey.export({ format: 'pem', type: 'pkcs8' }) as string, { mode: 0o600 });
  const { chmodSync } = await import('node:fs');
  chmodSync(file, 0o600);
  const ok = await runCli(['trust', 'key', 'load', file, '--name', 'bob'], { env });
  assert.equal(ok.code, 0, ok.stderr);
  const { keyId } = JSON.parse(ok.stdout);
  const stored = join(priv, `${keyId}.key`);
  assert.deepEqual(readdirSync(priv), [`${keyId}.key`]);
  assert.equal(statSync(stored).mode & 0o777, 0o600);
  const pem = readFileSync(stored, 'utf8');
  assert.match(pem, /^-----BEGIN ENCRYPTED PRIVATE KEY-----\nrole: bob\n\n/);
  assert.ok(!ok.stdout.includes(PASS) && !ok.stderr.includes(PASS));
  // The same key again: the file is never replaced.
  const again = await runCli(['trust', 'key', 'load', file, '--name', 'bob'], { env });
  assert.equal(again.code, 1);
  assert.match(again.stderr, /exists already/);
  assert.equal(readFileSync(stored, 'utf8'), pem);
});

test('key generate: bad names and a missing passphrase are one line, nothing written', async () => {
  const { root, env } = setup();
  const bad = await runCli(['trust', 'key', 'generate', 'Releases!', '--dir', root], { env });
  assert.equal(bad.code, 2);
  assert.match(bad.stderr, /^imgseal: signer name "Releases!" must match/);
  const nopass = await runCli(['trust', 'key', 'generate', 'carol', '--dir', root], { env: { ...env, DOCKER_CONTENT_TRUST_REPOSITORY_PASSPHRASE: '' } });
  assert.equal(nopass.code, 1);
  assert.match(nopass.stderr, /[Pp]assphrase .*is needed .*DOCKER_CONTENT_TRUST_REPOSITORY_PASSPHRASE/);
  assert.deepEqual(readdirSync(root).filter((n) => n.endsWith('.pub')), [], 'no public key file left by the refused generate');
  const ok = await runCli(['trust', 'key', 'generate', 'carol', '--dir', root], { env });
  assert.equal(ok.code, 0, ok.stderr);
  assert.match(readFileSync(join(root, 'carol.pub'), 'utf8'), /^-----BEGIN PUBLIC KEY-----\nrole: carol\n\n/);
});
