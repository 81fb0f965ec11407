// Issue 8 item 5 and item 6 across schemes: a layer wrapped for JWE, OpenPGP and PKCS#7
// (skopeo's multi-scheme vector) opens with any one matching key; layerinfo names every
// scheme and recipient; recipients add/remove work per scheme, checked with skopeo.
import assert from 'node:assert/strict';
import { cpSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, describe, test } from 'node:test';
import { FIXTURES, runCli } from '../testkit/cli.js';
import { buildLayout } from '../testkit/image-builder.js';
import { readImage } from '../testkit/image-reader.js';
import { requireTool, skopeo } from '../testkit/tools.js';

const MULTI = join(FIXTURES, 'multi-scheme');
const key = (f: string): string => join(MULTI, 'keys', f);
const PKCS7 = ['--decryption-key', key('pkcs7_priv.pem'), '--decryption-key', key('pkcs7_cert.pem')];

const tmp = mkdtempSync(join(tmpdir(), 'imgseal-mixed-'));
after(() => rmSync(tmp, { recursive: true, force: true }));
let n = 0;
const dir = (name: string): string => join(tmp, `${name}-${n++}`);

/** A writable copy of the multi-scheme vector's layout. */
function multiScheme(): string {
  const d = dir('multi');
  cpSync(join(MULTI, 'image'), d, { recursive: true });
  return d;
}

async function layerinfo(image: string): Promise<{ encryption: string[]; recipients: string[] }[]> {
  const r = await runCli(['layerinfo', '--json', image]);
  assert.equal(r.code, 0, r.stderr);
  return JSON.parse(r.stdout);
}

describe('several schemes on one layer', { concurrency: 2 }, () => {
  test('any one matching key of any scheme decrypts; layerinfo names every scheme and recipient', async () => {
    const image = `oci:${multiScheme()}:enc`;
    const [info] = await layerinfo(image);
    assert.deepEqual(info!.encryption, ['jwe', 'pgp', 'pkcs7']);
    assert.equal(info!.recipients.length, 3);
    assert.ok(info!.recipients.includes('[jwe RSA-OAEP]'));
    assert.ok(info!.recipients.some((r) => /^0x[0-9a-f]+$/.test(r)), 'the OpenPGP key id');
    assert.ok(info!.recipients.some((r) => /^pkcs7:issuer=CN=ocicrypt-pkcs7-test serial=[0-9a-f]+$/.test(r)), 'the certificate issuer and serial');
    const files: Record<string, string>[] = [];
    for (const keys of [['--decryption-key', key('rsa1_priv.pem')], ['--decryption-key', key('pgp_secring.gpg')], PKCS7]) {
      const out = dir('dec');
      const r = await runCli(['decrypt', '-q', ...keys, image, `oci:${out}:plain`]);
      assert.equal(r.code, 0, `${keys.join(' ')}: ${r.stderr}`);
      files.push((await readImage(out, 'plain')).files);
    }
    assert.deepEqual(files[1], files[0]);
    assert.deepEqual(files[2], files[0]);
    assert.ok(Object.keys(files[0]!).length > 0);
  });

  test('remove the PKCS#7 recipient by its certificate: skopeo refuses that key, JWE still opens it, blob unchanged', async (t) => {
    if (!requireTool('skopeo', t)) return;
    const layout = multiScheme();
    const image = `oci:${layout}:enc`;
    const before = await readImage(layout, 'enc');
    await skopeo(['copy', '-q', ...PKCS7, image, `oci:${dir('ok')}:plain`]); // skopeo opens it with PKCS#7 before
    const r = await runCli(['recipients', 'remove', '-q', '--recipient', `pkcs7:${key('pkcs7_cert.pem')}`, image]);
    assert.equal(r.code, 0, r.stderr);
    const after = await readImage(layout, 'enc');
    assert.equal(after.layers[0]!.desc.digest, before.layers[0]!.desc.digest);
    assert.deepEqual(after.layers[0]!.blob, before.layers[0]!.blob);
    assert.deepEqual((await layerinfo(image))[0]!.encryption, ['jwe', 'pgp']);
    await assert.rejects(skopeo(['copy', '-q', ...PKCS7, image, `oci:${dir('refused')}:plain`]), /missing private key|decrypt/i);
    const out = dir('jwe');
    await skopeo(['copy', '-q', '--decryption-key', key('rsa1_priv.pem'), image, `oci:${out}:plain`]);
    assert.ok(Object.keys((await readImage(out, 'plain')).files).length > 0);
  });

  test('add a PKCS#7 recipient to a JWE image skopeo made: skopeo opens it with the key and certificate', async (t) => {
    if (!requireTool('skopeo', t)) return;
    const src = dir('src');
    const orig = await buildLayout(src, [{ files: { 'secret.txt': 'for jwe and pkcs7\n' }, compression: 'gzip' }]);
    const enc = dir('enc');
    await skopeo(['copy', '-q', '--encryption-key', `jwe:${key('rsa1_pub.pem')}`, `oci:${src}:base`, `oci:${enc}:enc`]);
    await assert.rejects(skopeo(['copy', '-q', ...PKCS7, `oci:${enc}:enc`, `oci:${dir('refused')}:plain`]), /missing private key|decrypt/i);
    const before = await readImage(enc, 'enc');
    const r = await runCli(['recipients', 'add', '-q', '--recipient', `pkcs7:${key('pkcs7_cert.pem')}`, '--decryption-key', key('rsa1_priv.pem'), `oci:${enc}:enc`]);
    assert.equal(r.code, 0, r.stderr);
    const after = await readImage(enc, 'enc');
    assert.deepEqual(after.layers[0]!.blob, before.layers[0]!.blob);
    assert.equal(after.layers[0]!.desc.digest, before.layers[0]!.desc.digest);
    assert.deepEqual((await layerinfo(`oci:${enc}:enc`))[0]!.encryption, ['jwe', 'pkcs7']);
    const out = dir('pkcs7');
    await skopeo(['copy', '-q', ...PKCS7, `oci:${enc}:enc`, `oci:${out}:plain`]);
    const img = await readImage(out, 'plain');
    assert.deepEqual(img.files, orig.layers[0]!.files);
    assert.deepEqual(img.layers[0]!.blob, orig.layers[0]!.blob);
  });
});
