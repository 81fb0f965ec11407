// Issue 3, part 1: every skopeo-made JWE vector decrypts through copyImage (the library
// pipeline) into a layout whose layers are the exact plaintext blobs skopeo started from.
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync } from 'node:fs';
import { readFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { test } from 'node:test';
import { copyImage } from '../../src/copy/index.js';
import { loadDecryptionKey } from '../../src/crypto/keys/index.js';
import { parseImageName } from '../../src/transports/transports.js';
import { FIXTURES } from '../testkit/cli.js';
import { readImage, readIndexJson, sha256 } from '../testkit/image-reader.js';

interface ExpectedLayer {
  index: number;
  mediaType: string;
  digest: string;
  size: number;
  annotation_keys: string[];
  pubopts_json?: string;
  plaintext_blob_digest?: string;
  privopts_digest_matches_plaintext?: boolean;
  decrypted_mediaType?: string;
  diff_id: string;
  files: Record<string, string>;
}

function expected(kase: string): { manifest_digest: string; layers: ExpectedLayer[] } {
  return JSON.parse(readFileSync(join(FIXTURES, kase, 'expected.json'), 'utf8'));
}

const CASES: [string, string][] = [
  ['jwe-rsa2048', 'rsa1_priv.pem'],
  ['jwe-two-recipients', 'rsa1_priv.pem'],
  ['jwe-two-recipients', 'rsa2_priv.pem'],
  ['jwe-ec-p256', 'ec_p256_priv.pem'],
  ['jwe-rsa-plus-ec', 'rsa2_priv.pem'],
  ['jwe-rsa-plus-ec', 'ec_p256_priv.pem'],
  ['layer-select-last', 'rsa1_priv.pem'],
  ['zstd-recompressed', 'rsa1_priv.pem'],
  ['multi-scheme', 'rsa1_priv.pem'],
];

for (const [kase, keyFile] of CASES) {
  test(`copyImage decrypts vector ${kase} with ${keyFile}`, async () => {
    const exp = expected(kase);
    const srcDir = join(FIXTURES, kase, 'image');
    const tmp = mkdtempSync(join(tmpdir(), 'imgseal-vec-'));
    try {
      // The source, field by field against expected.json.
      const entry = readIndexJson(srcDir).manifests.find((m) => m.annotations?.['org.opencontainers.image.ref.name'] === 'enc');
      assert.equal(entry?.digest, exp.manifest_digest);
      const src = await readImage(srcDir, 'enc');
      assert.equal(sha256(src.manifestBytes), exp.manifest_digest);
      assert.equal(src.layers.length, exp.layers.length);
      for (const e of exp.layers) {
        const l = src.layers[e.index]!;
        assert.equal(l.desc.digest, e.digest, `layer ${e.index} digest`);
        assert.equal(l.desc.size, e.size, `layer ${e.index} size`);
        assert.equal(l.desc.mediaType, e.mediaType, `layer ${e.index} mediaType`);
        assert.deepEqual(Object.keys(l.desc.annotations ?? {}).sort(), [...e.annotation_keys].sort(), `layer ${e.index} annotation keys`);
        if (e.pubopts_json !== undefined) {
          const pub = l.desc.annotations?.['org.opencontainers.image.enc.pubopts'];
          assert.equal(Buffer.from(pub ?? '', 'base64').toString('utf8'), e.pubopts_json, `layer ${e.index} pubopts`);
        }
      }

      const warnings: string[] = [];
      const key = await loadDecryptionKey(join(FIXTURES, kase, 'keys', keyFile));
      const destDir = join(tmp, 'out');
      const result = await copyImage(parseImageName(`oci:${srcDir}:enc`), parseImageName(`oci:${destDir}:plain`), {
        decrypt: { keys: [key] },
        warn: (m) => warnings.push(m),
      });

      const out = await readImage(destDir, 'plain');
      assert.equal(out.desc.digest, result.digest);
      // Config untouched, same number of layers.
      assert.equal(out.manifest.config.digest, src.manifest.config.digest);
      assert.equal(out.layers.length, exp.layers.length);
      const allFiles: Record<string, string> = {};
      for (const e of exp.layers) {
        const l = out.layers[e.index]!;
        const encrypted = e.mediaType.endsWith('+encrypted');
        assert.equal(l.desc.digest, encrypted ? e.plaintext_blob_digest : e.digest, `layer ${e.index} plaintext digest`);
        assert.equal(sha256(l.blob), l.desc.digest);
        assert.equal(l.desc.size, l.blob.length);
        assert.equal(l.desc.mediaType, encrypted ? e.decrypted_mediaType : e.mediaType, `layer ${e.index} mediaType`);
        assert.equal(
          Object.keys(l.desc.annotations ?? {}).filter((k) => k.startsWith('org.opencontainers.image.enc')).length,
          0,
          `layer ${e.index} keeps no encryption annotation`,
        );
        assert.equal(l.diffId, e.diff_id, `layer ${e.index} diff_id`);
        assert.equal(out.config.rootfs?.diff_ids[e.index], e.diff_id);
        assert.deepEqual(l.files, e.files, `layer ${e.index} files`);
        Object.assign(allFiles, e.files);
      }
      assert.deepEqual(out.files, allFiles);
      const decryptedLayers = result.layers.filter((l) => l.action === 'decrypt');
      assert.equal(decryptedLayers.length, exp.layers.filter((e) => e.mediaType.endsWith('+encrypted')).length);
      // zstd-recompressed: the private options record the old gzip digest; accepted with a warning.
      const mismatched = exp.layers.some((e) => e.privopts_digest_matches_plaintext === false);
      assert.equal(warnings.some((w) => /recompress/.test(w)), mismatched, `warnings: ${warnings.join(' | ')}`);
    } finally {
      rmSync(tmp, { recursive: true, force: true });
    }
  });
}

test('decrypting the plaintext source of a vector (plain-two-layer) copies it byte for byte', async () => {
  const tmp = mkdtempSync(join(tmpdir(), 'imgseal-vec-'));
  try {
    const srcDir = join(FIXTURES, 'plain-two-layer', 'image');
    const key = await loadDecryptionKey(join(FIXTURES, 'layer-select-last', 'keys', 'rsa1_priv.pem'));
    const res = await copyImage(parseImageName(`oci:${srcDir}:base`), parseImageName(`oci:${join(tmp, 'o')}:x`), { decrypt: { keys: [key] } });
    const src = await readImage(srcDir, 'base');
    const out = await readImage(join(tmp, 'o'), 'x');
    assert.equal(res.digest, src.desc.digest);
    assert.deepEqual(out.manifestBytes, src.manifestBytes);
  } finally {
    rmSync(tmp, { recursive: true, force: true });
  }
});
