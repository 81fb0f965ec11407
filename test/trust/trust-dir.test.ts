/**
 * The trust directory holds keys as notary does (encrypted PKCS#8, PBKDF2-HMAC-SHA1,
 * role/gun headers, mode 0600) and never replaces a key file; notary's own key file reads.
 */
import assert from 'node:assert/strict';
import { createPublicKey, generateKeyPairSync } from 'node:crypto';
import { execFileSync } from 'node:child_process';
import { mkdtempSync, readFileSync, statSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { test } from 'node:test';
import { decodeTrustKey } from '../../src/trust/store/key-file.js';
import { TrustDir, defaultTrustDir } from '../../src/trust/store/trust-dir.js';
import { repoRoot } from '../testkit/peers.js';

const SAMPLE = join(repoRoot(), 'test', 'fixtures', 'notary', 'cli-session', 'sample-targets-private-key.passphrase-targetspass.key');
const spki = (k: Parameters<typeof createPublicKey>[0]) => createPublicKey(k).export({ format: 'der', type: 'spki' });

test("notary's own encrypted targets key reads with its passphrase, and not without", () => {
  const pem = readFileSync(SAMPLE, 'utf8');
  const { key, headers } = decodeTrustKey(pem, 'targetspass', 'sample');
  assert.deepEqual(headers, { role: 'targets', gun: 'example.com/test/app' });
  assert.equal(key.asymmetricKeyType, 'ec');
  assert.throws(() => decodeTrustKey(pem, 'hunter2-guess', 'sample'), (e: Error & { code?: string }) => e.code === 'KEY_PASSWORD' && !e.message.includes('hunter2'));
});

test('keys are written 0600 in notary format, read back, listed, and never replaced', async () => {
  const dir = new TrustDir(join(mkdtempSync(join(tmpdir(), 'trust-')), 'trust'));
  const { privateKey } = generateKeyPairSync('ec', { namedCurve: 'P-256' });
  const id = 'a'.repeat(64);
  const path = await dir.writePrivateKey(id, privateKey, 'pw-123456', { role: 'targets', gun: 'h/r' });
  assert.equal(statSync(path).mode & 0o777, 0o600);
  const pem = readFileSync(path, 'utf8');
  assert.match(pem, /^-----BEGIN ENCRYPTED PRIVATE KEY-----\ngun: h\/r\nrole: targets\n\n/);
  // The structure notary writes and reads: PBES2 / PBKDF2 without a PRF (HMAC-SHA1) / AES-256-CBC.
  const der = Buffer.from(pem.split('\n\n')[1]?.replace(/-----END[^]*/, '').replace(/\n/g, '') ?? '', 'base64');
  const asn = execFileSync('openssl', ['asn1parse', '-inform', 'DER'], { input: der }).toString();
  assert.match(asn, /PBES2[^]*PBKDF2[^]*INTEGER\s+:0800[^]*aes-256-cbc/);
  assert.doesNotMatch(asn, /hmacWithSHA256/);
  const [info] = await dir.listPrivateKeys();
  assert.deepEqual({ ...info }, { id, path, role: 'targets', gun: 'h/r' });
  assert.ok(spki(await dir.loadPrivateKey(info as NonNullable<typeof info>, 'pw-123456')).equals(spki(privateKey)));
  await assert.rejects(dir.writePrivateKey(id, privateKey, 'pw-123456', { role: 'targets' }), { code: 'IO_ERROR', message: /exists already/ });
  assert.equal(readFileSync(path, 'utf8'), pem);
});

test('metadata cache: per GUN and role; path tricks refused', async () => {
  const dir = new TrustDir(mkdtempSync(join(tmpdir(), 'trust-')));
  assert.equal(await dir.readMetadata('h:5000/a/b', 'root'), undefined);
  await dir.writeMetadata('h:5000/a/b', 'targets/releases', Buffer.from('{}'));
  assert.equal((await dir.readMetadata('h:5000/a/b', 'targets/releases'))?.toString(), '{}');
  await assert.rejects(dir.writeMetadata('h/../../etc', 'root', Buffer.from('x')), { code: 'INVALID_ARGUMENT' });
  assert.equal(defaultTrustDir({ DOCKER_CONFIG: '/x/y' }), '/x/y/trust');
});
