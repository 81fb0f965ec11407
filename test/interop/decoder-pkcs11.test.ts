// The containerd decoder reads every key format imgseal reads (issue 10), also an
// ocicrypt pkcs11 key file: a layer encrypted to a SoftHSM token's key (`pkcs11:`),
// decrypted by the bundled stream processor on the token, with the YAML key file in
// the node's key directory and the module allowed by OCICRYPT_CONFIG (which a
// containerd wrapper sets; deploy/pkcs11/). Without the policy nothing is written.
import assert from 'node:assert/strict';
import { copyFileSync, mkdirSync } from 'node:fs';
import { join } from 'node:path';
import { describe, test } from 'node:test';
import { DECODER_BUNDLE } from '../testkit/cli.js';
import { buildLayout } from '../testkit/image-builder.js';
import { readImage, sha256 } from '../testkit/image-reader.js';
import { useSoftHsmToken } from '../testkit/softhsm.js';
import { imgsealOk, workDir } from '../e2e/helpers.js';
import { encodePayload, runDecoder } from '../node/decoder-helpers.js';

const { dir } = workDir('decoder-p11');

describe('the bundled decoder with a pkcs11 key file on a SoftHSM token', { concurrency: 1 }, () => {
  const hsm = useSoftHsmToken();

  test('decrypts a pkcs11: layer on the token; without OCICRYPT_CONFIG nothing reaches stdout', async (t) => {
    const tok = hsm.get(t);
    if (!tok) return;
    const src = dir('src');
    const built = await buildLayout(src, [{ files: { 'secret.txt': 'decrypted on the token\n' }, compression: 'gzip' }]);
    const enc = dir('enc');
    await imgsealOk(['encrypt', '-q', '--encryption-key', `pkcs11:${tok.pubYaml}`, `oci:${src}:base`, `oci:${enc}:enc`], { env: { OCICRYPT_CONFIG: tok.ocicryptConfig } });
    const layer = (await readImage(enc, 'enc')).layers[0];
    assert.ok(layer?.desc.annotations?.['org.opencontainers.image.enc.keys.pkcs11'], 'the layer is wrapped for pkcs11');
    const keys = dir('keys');
    mkdirSync(keys, { recursive: true });
    copyFileSync(tok.privYaml, join(keys, 'token-key.yaml'));

    const r = await runDecoder(['--decryption-keys-path', keys], layer.blob, encodePayload(layer.desc), { OCICRYPT_CONFIG: tok.ocicryptConfig }, [DECODER_BUNDLE]);
    assert.equal(r.code, 0, r.stderr);
    assert.equal(r.stderr, '');
    assert.equal(sha256(r.stdout), built.layers[0]?.desc.digest, 'the plaintext layer, byte for byte');

    const refused = await runDecoder(['--decryption-keys-path', keys], layer.blob, encodePayload(layer.desc), { OCICRYPT_CONFIG: '' }, [DECODER_BUNDLE]);
    assert.equal(refused.code, 1);
    assert.equal(refused.stdout.length, 0);
    assert.equal(refused.stderr.trim().split('\n').length, 1, refused.stderr);
    assert.doesNotMatch(refused.stderr, new RegExp(tok.pin));
  });
});
