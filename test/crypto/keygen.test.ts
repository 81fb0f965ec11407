// imgseal keygen: files, modes, round trip through the loaders, no overwrite.
import assert from 'node:assert/strict';
import { mkdtemp, readFile, stat, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { test } from 'node:test';
import { isImgsealError } from '../../src/errors.js';
import { generateKeyPair, loadDecryptionKey, parseRecipient, privateKeyOf, publicKeyFingerprint, writeKeyPair } from '../../src/crypto/index.js';

for (const opts of [{ type: 'rsa', bits: 2048 }, { type: 'ec', curve: 'P-256' }, { type: 'ec', curve: 'P-384' }] as const) {
  test(`keygen ${JSON.stringify(opts)}`, async () => {
    const dir = await mkdtemp(join(tmpdir(), 'imgseal-keygen-'));
    const priv = join(dir, 'k.pem');
    const pub = join(dir, 'k.pub.pem');
    const fp = await writeKeyPair(priv, pub, await generateKeyPair(opts));
    assert.equal((await stat(priv)).mode & 0o777, 0o600);
    assert.equal((await stat(pub)).mode & 0o777, 0o644);
    assert.match(await readFile(priv, 'utf8'), /^-----BEGIN PRIVATE KEY-----\n/);
    assert.match(await readFile(pub, 'utf8'), /^-----BEGIN PUBLIC KEY-----\n/);
    const key = await loadDecryptionKey(priv);
    const rec = await parseRecipient(`jwe:${pub}`);
    assert.equal(rec.label, `jwe:${fp}`);
    assert.equal(await publicKeyFingerprint(privateKeyOf(key)!), fp);
  });
}

test('keygen refuses to overwrite, unless forced', async () => {
  const dir = await mkdtemp(join(tmpdir(), 'imgseal-keygen-'));
  const priv = join(dir, 'k.pem');
  const pub = join(dir, 'k.pub.pem');
  await writeFile(pub, 'keep');
  const pair = await generateKeyPair({ type: 'ec', curve: 'P-256' });
  await assert.rejects(writeKeyPair(priv, pub, pair), (e) => isImgsealError(e, 'INVALID_ARGUMENT') && /k\.pub\.pem already exists/.test(e.message));
  await assert.rejects(stat(priv), 'no lone private key left behind');
  assert.equal(await readFile(pub, 'utf8'), 'keep');
  await writeKeyPair(priv, pub, pair, { force: true });
  assert.match(await readFile(pub, 'utf8'), /PUBLIC KEY/);
  assert.equal((await stat(priv)).mode & 0o777, 0o600);
});
