// Issue 8 items 1 and 3 through the CLI, against the real programs:
// - pkcs7: skopeo's vectors decrypt; skopeo 1.9.3 encrypts pkcs7 → imgseal decrypts;
//   imgseal encrypts pkcs7 → skopeo decrypts with key + certificate, byte-identical;
// - pkcs11 on a SoftHSM 2.6 token: skopeo encrypts jwe: to the token's public key →
//   imgseal decrypts with the key on the token (a pkcs11 key file); imgseal encrypts
//   pkcs11: → imgseal decrypts on the token (Debian's skopeo has no pkcs11);
// - the refusals: one line, exit 1, destination unchanged.
import assert from 'node:assert/strict';
import { cpSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, test } from 'node:test';
import { FIXTURES } from '../testkit/cli.js';
import { buildLayout, type BuiltImage, type LayerSpec } from '../testkit/image-builder.js';
import { blobFile, readBlob, readImage, readIndexJson, REF_NAME, sha256, snapshotTree } from '../testkit/image-reader.js';
import { useSoftHsmToken } from '../testkit/softhsm.js';
import { requireTool } from '../testkit/tools.js';
import { assertOneLineFailure, builtFiles, imgseal, imgsealOk, skopeo, workDir } from '../e2e/helpers.js';

const P7 = { cert: join(FIXTURES, 'pkcs7/keys/pkcs7_cert.pem'), key: join(FIXTURES, 'pkcs7/keys/pkcs7_priv.pem') };
const OTHER_KEY = join(FIXTURES, 'jwe-rsa2048/keys/rsa1_priv.pem');
const PKCS7_ANN = 'org.opencontainers.image.enc.keys.pkcs7';
const PKCS11_ANN = 'org.opencontainers.image.enc.keys.pkcs11';
const LAYERS: LayerSpec[] = [
  { files: { 'base.txt': 'public base\n' }, compression: 'gzip' },
  { files: { 'secret.txt': 'the secret layer\n', 'etc/conf': 'x=1\n' }, compression: 'gzip' },
];
const { dir } = workDir('p7p11');

/** Rewrites the manifest tagged `ref` (and index.json) after `edit`. */
function editManifest(layout: string, ref: string, edit: (m: { layers: { annotations?: Record<string, string> }[] }) => void): void {
  const index = readIndexJson(layout);
  const entry = index.manifests.find((m) => m.annotations?.[REF_NAME] === ref)!;
  const manifest = JSON.parse(readBlob(layout, entry.digest).toString('utf8'));
  edit(manifest);
  const bytes = Buffer.from(JSON.stringify(manifest));
  writeFileSync(blobFile(layout, sha256(bytes)), bytes);
  entry.digest = sha256(bytes);
  entry.size = bytes.length;
  writeFileSync(join(layout, 'index.json'), JSON.stringify(index));
}

async function assertRestored(layout: string, ref: string, orig: BuiltImage, what: string): Promise<void> {
  const img = await readImage(layout, ref);
  assert.deepEqual(img.files, builtFiles(orig), `${what}: files`);
  img.layers.forEach((l, i) => {
    assert.deepEqual(l.desc, orig.layers[i]!.desc, `${what}: layer ${i} descriptor byte-identical`);
    assert.deepEqual(l.blob, orig.layers[i]!.blob, `${what}: layer ${i} blob byte-identical`);
  });
}

describe('pkcs7 with skopeo', { concurrency: 1 }, () => {
  for (const kase of ['pkcs7', 'multi-scheme']) {
    test(`skopeo's ${kase} vector decrypts with key + certificate`, async () => {
      const out = dir('vec');
      const keys = kase === 'pkcs7' ? P7 : { cert: join(FIXTURES, kase, 'keys/pkcs7_cert.pem'), key: join(FIXTURES, kase, 'keys/pkcs7_priv.pem') };
      await imgsealOk(['decrypt', '-q', '--decryption-key', keys.key, '--decryption-key', keys.cert, `oci:${join(FIXTURES, kase, 'image')}:enc`, `oci:${out}:plain`]);
      const img = await readImage(out, 'plain');
      assert.deepEqual(img.files, { 'hello.txt': 'hello ocicrypt test vector\n' });
      const expected = JSON.parse(readFileSync(join(FIXTURES, kase, 'expected.json'), 'utf8'));
      assert.equal(img.layers[0]!.desc.digest, expected.layers[0].plaintext_blob_digest);
    });
  }

  test('skopeo encrypts pkcs7:CERT → imgseal decrypts (same blobs as skopeo\'s own decryption)', async (t) => {
    if (!requireTool('skopeo', t)) return;
    const src = dir('src');
    const orig = await buildLayout(src, LAYERS);
    const enc = dir('enc');
    await skopeo(['copy', '-q', '--encryption-key', `pkcs7:${P7.cert}`, `oci:${src}:base`, `oci:${enc}:enc`]);
    const encImg = await readImage(enc, 'enc');
    assert.ok(encImg.layers.every((l) => l.desc.annotations?.[PKCS7_ANN]), 'skopeo wrote pkcs7 key annotations');
    const out = dir('dec');
    await imgsealOk(['decrypt', '-q', '--decryption-key', P7.key, '--decryption-key', P7.cert, `oci:${enc}:enc`, `oci:${out}:plain`]);
    await assertRestored(out, 'plain', orig, 'imgseal decrypted skopeo\'s pkcs7 image');
    const info = JSON.parse((await imgsealOk(['layerinfo', '--json', `oci:${enc}:enc`])).stdout);
    assert.deepEqual(info[1].encryption, ['pkcs7']);
    assert.deepEqual(info[1].recipients, ['pkcs7:issuer=CN=ocicrypt-pkcs7-test serial=5fec0f9acb5e0b77438f5579a87363d67458feba']);
  });

  test('imgseal encrypts pkcs7:CERT → skopeo decrypts with key + certificate, byte-identical', async (t) => {
    if (!requireTool('skopeo', t)) return;
    const src = dir('src');
    const orig = await buildLayout(src, LAYERS);
    const enc = dir('enc');
    await imgsealOk(['encrypt', '-q', '--encryption-key', `pkcs7:${P7.cert}`, `oci:${src}:base`, `oci:${enc}:enc`]);
    const encImg = await readImage(enc, 'enc');
    assert.ok(encImg.layers.every((l) => l.desc.annotations?.[PKCS7_ANN] && !l.desc.annotations?.['org.opencontainers.image.enc.keys.jwe']));
    const out = dir('skopeo-dec');
    await skopeo(['copy', '-q', '--decryption-key', P7.key, '--decryption-key', P7.cert, `oci:${enc}:enc`, `oci:${out}:plain`]);
    await assertRestored(out, 'plain', orig, 'skopeo decrypted imgseal\'s pkcs7 image');
    // and imgseal reads its own
    const back = dir('back');
    await imgsealOk(['decrypt', '-q', '--decryption-key', P7.cert, '--decryption-key', P7.key, `oci:${enc}:enc`, `oci:${back}:plain`]);
    await assertRestored(back, 'plain', orig, 'imgseal decrypted its own pkcs7 image');
  });

  test('recipients add pkcs7:CERT to a skopeo jwe image → skopeo decrypts with key + certificate; remove it → skopeo refuses it, the jwe key still works', async (t) => {
    if (!requireTool('skopeo', t)) return;
    const jwe = { pub: join(FIXTURES, 'jwe-rsa2048/keys/rsa1_pub.pem'), priv: OTHER_KEY };
    const src = dir('src');
    const orig = await buildLayout(src, LAYERS);
    const enc = dir('enc');
    await skopeo(['copy', '-q', '--encryption-key', `jwe:${jwe.pub}`, `oci:${src}:base`, `oci:${enc}:enc`]);
    const before = await readImage(enc, 'enc');
    const added = dir('added');
    await imgsealOk(['recipients', 'add', '-q', '--recipient', `pkcs7:${P7.cert}`, '--decryption-key', jwe.priv, `oci:${enc}:enc`, `oci:${added}:enc`]);
    const addedImg = await readImage(added, 'enc');
    addedImg.layers.forEach((l, i) => {
      assert.equal(l.desc.digest, before.layers[i]!.desc.digest, `layer ${i} blob unchanged`);
      assert.ok(l.desc.annotations?.[PKCS7_ANN], `layer ${i} gained a pkcs7 entry`);
    });
    const out = dir('skopeo-dec');
    await skopeo(['copy', '-q', '--decryption-key', P7.key, '--decryption-key', P7.cert, `oci:${added}:enc`, `oci:${out}:plain`]);
    await assertRestored(out, 'plain', orig, 'skopeo decrypted with the added pkcs7 recipient');
    const removed = dir('removed');
    await imgsealOk(['recipients', 'remove', '-q', '--recipient', `pkcs7:${P7.cert}`, `oci:${added}:enc`, `oci:${removed}:enc`]);
    const removedImg = await readImage(removed, 'enc');
    assert.ok(removedImg.layers.every((l) => !l.desc.annotations?.[PKCS7_ANN]), 'the pkcs7 entries are gone');
    await assert.rejects(skopeo(['copy', '-q', '--decryption-key', P7.key, '--decryption-key', P7.cert, `oci:${removed}:enc`, `oci:${dir('refused')}:plain`]), /missing private key|decrypt/i);
    const still = dir('still');
    await skopeo(['copy', '-q', '--decryption-key', jwe.priv, `oci:${removed}:enc`, `oci:${still}:plain`]);
    await assertRestored(still, 'plain', orig, 'the kept jwe recipient still decrypts');
  });

  test('a certificate without its key, a key without its certificate, corrupt CMS: one line, destination unchanged', async () => {
    const src = join(FIXTURES, 'pkcs7/image');
    const existing = dir('existing');
    await buildLayout(existing, LAYERS);
    const before = snapshotTree(existing);
    const cases: [string[], RegExp, string][] = [
      [['--decryption-key', P7.cert], /missing private key needed for decryption.*private key of the recipient certificate CN=ocicrypt-pkcs7-test/, 'certificate only'],
      [['--decryption-key', P7.key], /missing private key needed for decryption.*no x509 certificates found needed for PKCS7 decryption/, 'key only'],
      [['--decryption-key', OTHER_KEY, '--decryption-key', P7.cert], /private key of the recipient certificate/, 'another key + the certificate'],
    ];
    for (const [keys, re, what] of cases) {
      const r = await imgseal(['decrypt', '-q', ...keys, `oci:${src}:enc`, `oci:${existing}:base`]);
      assertOneLineFailure(r, re, what);
      assert.deepEqual(snapshotTree(existing), before, `${what}: destination unchanged`);
      const fresh = dir('fresh');
      assertOneLineFailure(await imgseal(['decrypt', '-q', ...keys, `oci:${src}:enc`, `oci:${fresh}:x`]), re, what);
      assert.equal(snapshotTree(fresh), undefined, `${what}: no new layout`);
    }
    const corrupt = dir('corrupt');
    cpSync(src, corrupt, { recursive: true });
    editManifest(corrupt, 'enc', (m) => {
      m.layers[0]!.annotations![PKCS7_ANN] = Buffer.from('this is not a CMS structure').toString('base64');
    });
    const r = await imgseal(['decrypt', '-q', '--decryption-key', P7.key, '--decryption-key', P7.cert, `oci:${corrupt}:enc`, `oci:${existing}:base`]);
    assertOneLineFailure(r, /invalid PKCS#7 annotation entry/, 'corrupt CMS');
    assert.deepEqual(snapshotTree(existing), before, 'corrupt CMS: destination unchanged');
    const ec = await imgseal(['encrypt', '-q', '--encryption-key', `pkcs7:${join(FIXTURES, 'jwe-ec-p256/keys/ec_p256_pub.pem')}`, `oci:${existing}:base`, `oci:${dir('x')}:x`]);
    assert.equal(ec.code, 2, ec.stderr);
    assert.match(ec.stderr, /not an x509 cert|X\.509 certificate/i);
  });
});

describe('pkcs11 on a SoftHSM token', { concurrency: 1 }, () => {
  const hsm = useSoftHsmToken();

  test('skopeo encrypts jwe: to the token\'s public key → imgseal decrypts with the key on the token', async (t) => {
    const tok = hsm.get(t);
    if (!tok || !requireTool('skopeo', t)) return;
    const src = dir('src');
    const orig = await buildLayout(src, LAYERS);
    const enc = dir('enc');
    await skopeo(['copy', '-q', '--encryption-key', `jwe:${tok.pubkeyPem}`, `oci:${src}:base`, `oci:${enc}:enc`]);
    const out = dir('dec');
    await imgsealOk(['decrypt', '-q', '--decryption-key', tok.privYaml, `oci:${enc}:enc`, `oci:${out}:plain`], { env: { OCICRYPT_CONFIG: tok.ocicryptConfig } });
    await assertRestored(out, 'plain', orig, 'JWE opened through the token');
  });

  test('imgseal encrypts pkcs11: (key file and public key PEM) → imgseal decrypts on the token', async (t) => {
    const tok = hsm.get(t);
    if (!tok) return;
    const env = { OCICRYPT_CONFIG: tok.ocicryptConfig };
    const src = dir('src');
    const orig = await buildLayout(src, LAYERS);
    for (const recipient of [`pkcs11:${tok.pubYaml}`, `pkcs11:${tok.pubkeyPem}`]) {
      const enc = dir('enc');
      await imgsealOk(['encrypt', '-q', '--encryption-key', recipient, `oci:${src}:base`, `oci:${enc}:enc`], { env });
      const img = await readImage(enc, 'enc');
      for (const l of img.layers) {
        const entry = JSON.parse(Buffer.from(l.desc.annotations![PKCS11_ANN]!, 'base64').toString('utf8'));
        assert.equal(entry.version, 0);
        assert.equal(entry.recipients[0].hash, 'sha1', 'SHA-1 by default (SoftHSM does OAEP with SHA-1 only)');
      }
      const out = dir('dec');
      await imgsealOk(['decrypt', '-q', '--decryption-key', tok.privYaml, `oci:${enc}:enc`, `oci:${out}:plain`], { env });
      await assertRestored(out, 'plain', orig, `pkcs11 round trip via ${recipient}`);
      const info = JSON.parse((await imgsealOk(['layerinfo', '--json', `oci:${enc}:enc`])).stdout);
      assert.deepEqual(info[0].encryption, ['pkcs11']);
      assert.deepEqual(info[0].recipients, ['[pkcs11 RSA-OAEP-SHA1]']);
    }
  });

  test('wrong PIN, module not allowed, corrupt entry, OAEP-SHA-256 on RSA-2048: one line, destination unchanged, no PIN shown', async (t) => {
    const tok = hsm.get(t);
    if (!tok) return;
    const env = { OCICRYPT_CONFIG: tok.ocicryptConfig };
    const src = dir('src');
    await buildLayout(src, LAYERS);
    const enc = dir('enc');
    await imgsealOk(['encrypt', '-q', '--encryption-key', `pkcs11:${tok.pubYaml}`, `oci:${src}:base`, `oci:${enc}:enc`], { env });
    const existing = dir('existing');
    await buildLayout(existing, LAYERS);
    const before = snapshotTree(existing);
    const wrongPin = join(dir('pin'), '..', `wrong-pin-${Date.now()}.yaml`);
    writeFileSync(wrongPin, readFileSync(tok.privYaml, 'utf8').replace(`pin-value=${tok.pin}`, 'pin-value=wrongPIN-zq'));
    const strict = join(dir('conf'), '..', `ocicrypt-${Date.now()}.conf`);
    writeFileSync(strict, 'pkcs11:\n  module-directories: [/usr/lib/softhsm/]\n  allowed-module-paths: [/usr/lib/pkcs11/]\n');
    const corrupt = dir('corrupt');
    cpSync(enc, corrupt, { recursive: true });
    editManifest(corrupt, 'enc', (m) => {
      for (const l of m.layers) l.annotations![PKCS11_ANN] = Buffer.from('{"version":7,"recipients":[]}').toString('base64');
    });
    const cases: [string[], Record<string, string>, RegExp, string][] = [
      [['--decryption-key', wrongPin, `oci:${enc}:enc`], env, /the token peer-token refused the PIN \(CKR_PIN_INCORRECT/, 'wrong PIN'],
      [['--decryption-key', tok.privYaml, `oci:${enc}:enc`], { OCICRYPT_CONFIG: strict }, /module-path '\/usr\/lib\/softhsm\/libsofthsm2\.so' is not allowed by policy/, 'module not allowed'],
      [['--decryption-key', tok.privYaml, `oci:${enc}:enc`], { OCICRYPT_CONFIG: '' }, /No ocicrypt config file was found/, 'no policy'],
      [['--decryption-key', tok.privYaml, `oci:${corrupt}:enc`], env, /invalid PKCS#11 annotation entry: version 7/, 'corrupt entry'],
    ];
    for (const [args, e, re, what] of cases) {
      const r = await imgseal(['decrypt', '-q', ...args, `oci:${existing}:base`], { env: e });
      const line = assertOneLineFailure(r, re, what);
      // The real PIN (1234) may well occur in a digest, so look for it where a URI would show it.
      assert.equal(line.includes(`pin-value=${tok.pin}`) || line.includes('wrongPIN-zq'), false, `${what}: no PIN in the message`);
      assert.deepEqual(snapshotTree(existing), before, `${what}: destination unchanged`);
    }
    const sha256 = await imgseal(['encrypt', '-q', '--encryption-key', `pkcs11:${tok.pubYaml}`, `oci:${src}:base`, `oci:${existing}:base`], { env: { ...env, OCICRYPT_OAEP_HASHALG: 'sha256' } });
    assert.notEqual(sha256.code, 0);
    assert.match(sha256.stderr, /RSA-2048 key with OAEP-SHA256 can carry 190 bytes, the layer key options are 193/);
    assert.deepEqual(snapshotTree(existing), before, 'sha256: destination unchanged');
  });
});
