// Issue 3, part 2: live interop with skopeo 1.9.3 in both directions, on images made by
// the test kit (1 and 2 layers, gzip and uncompressed): skopeo encrypts → imgseal
// decrypts, imgseal encrypts → skopeo decrypts; every decrypted layer is checked byte
// for byte.
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, describe, test } from 'node:test';
import { FIXTURES, runCli } from '../testkit/cli.js';
import { buildLayout, type BuiltImage, type LayerSpec } from '../testkit/image-builder.js';
import { readImage, type ReadImage } from '../testkit/image-reader.js';
import { requireTool, skopeo } from '../testkit/tools.js';

const KEYS = {
  rsa1: { pub: join(FIXTURES, 'jwe-rsa2048/keys/rsa1_pub.pem'), priv: join(FIXTURES, 'jwe-rsa2048/keys/rsa1_priv.pem') },
  rsa2: { pub: join(FIXTURES, 'jwe-two-recipients/keys/rsa2_pub.pem'), priv: join(FIXTURES, 'jwe-two-recipients/keys/rsa2_priv.pem') },
  ec: { pub: join(FIXTURES, 'jwe-ec-p256/keys/ec_p256_pub.pem'), priv: join(FIXTURES, 'jwe-ec-p256/keys/ec_p256_priv.pem') },
};
type KeyName = keyof typeof KEYS;

const IMAGES: Record<string, LayerSpec[]> = {
  'one gzip layer': [{ files: { 'hello.txt': 'hello from a gzip layer\n' }, compression: 'gzip' }],
  'one uncompressed layer': [{ files: { 'plain.txt': 'hello from an uncompressed layer\n', 'etc/conf': 'x=1\n' }, compression: 'none' }],
  'two layers (gzip, uncompressed)': [
    { files: { 'base.txt': 'public base\n' }, compression: 'gzip' },
    { files: { 'secret.txt': 'the secret layer\n' }, compression: 'none' },
  ],
};

interface Combo {
  image: string;
  recipients: KeyName[];
  /** A key that is not a recipient. */
  wrong: KeyName;
  encryptLayer?: number;
}

const COMBOS: Combo[] = [
  { image: 'one gzip layer', recipients: ['rsa1'], wrong: 'ec' },
  { image: 'one uncompressed layer', recipients: ['rsa1'], wrong: 'rsa2' },
  { image: 'two layers (gzip, uncompressed)', recipients: ['rsa1'], wrong: 'rsa2' },
  { image: 'two layers (gzip, uncompressed)', recipients: ['ec'], wrong: 'rsa1' },
  { image: 'one gzip layer', recipients: ['ec'], wrong: 'rsa1' },
  { image: 'two layers (gzip, uncompressed)', recipients: ['rsa1', 'rsa2'], wrong: 'ec' },
  { image: 'two layers (gzip, uncompressed)', recipients: ['rsa2', 'ec'], wrong: 'rsa1' },
  { image: 'two layers (gzip, uncompressed)', recipients: ['rsa1'], wrong: 'ec', encryptLayer: -1 },
];

const tmp = mkdtempSync(join(tmpdir(), 'imgseal-skopeo-'));
after(() => rmSync(tmp, { recursive: true, force: true }));
let n = 0;
const dir = (name: string): string => join(tmp, `${name}-${n++}`);

function comboName(c: Combo): string {
  return `${c.image}, recipients ${c.recipients.join('+')}${c.encryptLayer !== undefined ? `, --encrypt-layer ${c.encryptLayer}` : ''}`;
}

function selected(c: Combo, count: number): Set<number> {
  if (c.encryptLayer === undefined) return new Set(Array.from({ length: count }, (_, i) => i));
  return new Set([c.encryptLayer < 0 ? count + c.encryptLayer : c.encryptLayer]);
}

/** The encrypted image: chosen layers encrypted (same plaintext size), the others untouched, config untouched. */
function checkEncrypted(enc: ReadImage, orig: BuiltImage, c: Combo, by: 'skopeo' | 'imgseal'): void {
  const sel = selected(c, orig.layers.length);
  assert.equal(enc.manifest.config.digest, orig.config.digest, 'config unchanged');
  assert.equal(enc.layers.length, orig.layers.length);
  enc.layers.forEach((l, i) => {
    const o = orig.layers[i]!;
    if (sel.has(i)) {
      assert.match(l.desc.mediaType, /\+encrypted$/, `layer ${i} encrypted`);
      assert.ok(l.desc.annotations?.['org.opencontainers.image.enc.keys.jwe'], `layer ${i} has a jwe key annotation`);
      assert.ok(l.desc.annotations?.['org.opencontainers.image.enc.pubopts'], `layer ${i} has pubopts`);
      assert.ok(!l.blob.includes(Buffer.from(Object.values(o.files)[0]!)), `layer ${i} ciphertext does not contain the plaintext`);
      if (by === 'imgseal') {
        assert.equal(l.desc.mediaType, `${o.desc.mediaType}+encrypted`);
        assert.equal(l.desc.size, o.desc.size, 'CTR: ciphertext length = plaintext length');
      }
    } else {
      assert.deepEqual(l.desc, o.desc, `layer ${i} left plaintext, descriptor unchanged`);
      assert.deepEqual(l.blob, o.blob);
    }
  });
}

function allFiles(orig: BuiltImage): Record<string, string> {
  return Object.assign({}, ...orig.layers.map((l) => l.files)) as Record<string, string>;
}

describe('skopeo ↔ imgseal encryption interop', { concurrency: 4 }, () => {
  for (const c of COMBOS) {
    test(`skopeo encrypts → imgseal decrypts: ${comboName(c)}`, async (t) => {
      if (!requireTool('skopeo', t)) return;
      const src = dir('src');
      const orig = await buildLayout(src, IMAGES[c.image]!);
      const enc = dir('enc');
      await skopeo([
        'copy',
        '-q',
        ...c.recipients.flatMap((r) => ['--encryption-key', `jwe:${KEYS[r].pub}`]),
        ...(c.encryptLayer !== undefined ? ['--encrypt-layer', String(c.encryptLayer)] : []),
        `oci:${src}:base`,
        `oci:${enc}:enc`,
      ]);
      checkEncrypted(await readImage(enc, 'enc'), orig, c, 'skopeo');
      // skopeo's own decryption is the reference for the exact plaintext blobs (it gzips
      // uncompressed layers before encrypting them).
      const ref = dir('skopeo-dec');
      await skopeo(['copy', '-q', '--decryption-key', KEYS[c.recipients[0]!].priv, `oci:${enc}:enc`, `oci:${ref}:plain`]);
      const reference = await readImage(ref, 'plain');

      for (const r of c.recipients) {
        const out = dir('dec');
        const res = await runCli(['decrypt', '-q', '--decryption-key', KEYS[r].priv, `oci:${enc}:enc`, `oci:${out}:plain`]);
        assert.equal(res.code, 0, res.stderr);
        const img = await readImage(out, 'plain');
        assert.deepEqual(img.files, allFiles(orig), `files restored with ${r}`);
        assert.equal(img.manifest.config.digest, orig.config.digest);
        img.layers.forEach((l, i) => {
          const o = orig.layers[i]!;
          assert.equal(l.desc.digest, reference.layers[i]!.desc.digest, `layer ${i}: same plaintext blob as skopeo's decryption`);
          assert.deepEqual(l.desc, reference.layers[i]!.desc, `layer ${i}: same descriptor as skopeo's decryption`);
          assert.equal(l.diffId, o.diffId, `layer ${i}: same uncompressed tar`);
          if (o.desc.mediaType.endsWith('+gzip') || !selected(c, orig.layers.length).has(i)) {
            assert.equal(l.desc.digest, o.desc.digest, `layer ${i} byte-identical to the original blob`);
            assert.equal(l.desc.mediaType, o.desc.mediaType);
          }
        });
      }
      const wrong = await runCli(['decrypt', '-q', '--decryption-key', KEYS[c.wrong].priv, `oci:${enc}:enc`, `oci:${dir('wrong')}:plain`]);
      assert.equal(wrong.code, 1, 'a key that is not a recipient cannot decrypt');
      assert.match(wrong.stderr, /missing private key needed for decryption/);
    });

    test(`imgseal encrypts → skopeo decrypts: ${comboName(c)}`, async (t) => {
      if (!requireTool('skopeo', t)) return;
      const src = dir('src');
      const orig = await buildLayout(src, IMAGES[c.image]!);
      const enc = dir('enc');
      const res = await runCli([
        'encrypt',
        '-q',
        ...c.recipients.flatMap((r) => ['--encryption-key', `jwe:${KEYS[r].pub}`]),
        ...(c.encryptLayer !== undefined ? ['--encrypt-layer', String(c.encryptLayer)] : []),
        `oci:${src}:base`,
        `oci:${enc}:enc`,
      ]);
      assert.equal(res.code, 0, res.stderr);
      checkEncrypted(await readImage(enc, 'enc'), orig, c, 'imgseal');
      for (const r of c.recipients) {
        const out = dir('skopeo-dec');
        await skopeo(['copy', '-q', '--decryption-key', KEYS[r].priv, `oci:${enc}:enc`, `oci:${out}:plain`]);
        const img = await readImage(out, 'plain');
        assert.deepEqual(img.files, allFiles(orig), `files restored by skopeo with ${r}`);
        assert.equal(img.manifest.config.digest, orig.config.digest);
        img.layers.forEach((l, i) => {
          assert.deepEqual(l.desc, orig.layers[i]!.desc, `layer ${i}: skopeo's decryption is byte-identical to the original`);
          assert.deepEqual(l.blob, orig.layers[i]!.blob);
        });
      }
      await assert.rejects(
        skopeo(['copy', '-q', '--decryption-key', KEYS[c.wrong].priv, `oci:${enc}:enc`, `oci:${dir('wrong')}:plain`]),
        /missing private key|no suitable key|decrypt/i,
        'skopeo cannot decrypt with a key that is not a recipient',
      );
    });
  }
});

test('requireTool: a missing tool skips the test, or fails it under CI=true', async () => {
  const { requireTool: req } = await import('../testkit/tools.js');
  const saved = process.env.CI;
  try {
    const skipped: string[] = [];
    process.env.CI = '';
    assert.equal(req('imgseal-no-such-tool', { skip: (m) => skipped.push(m ?? '') }), false);
    assert.deepEqual(skipped, ['imgseal-no-such-tool is not installed']);
    process.env.CI = 'true';
    assert.throws(() => req('imgseal-no-such-tool', { skip: () => assert.fail('must not skip under CI') }), /not installed.*CI=true/);
  } finally {
    if (saved === undefined) delete process.env.CI;
    else process.env.CI = saved;
  }
});
