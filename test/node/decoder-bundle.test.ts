// The bundled stream processor (dist/decoder/decoder-main.js, scripts/bundle.mjs)
// is what containerd is told to run, so it must decrypt what `imgseal decoder` does,
// with every key scheme's code (the lazy chunks must resolve), and must really be one
// bundle: a JWE layer loads none of dist/src's ~90 modules and no ES module from
// node_modules (the point of bundling is not resolving and compiling them per layer).
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, test } from 'node:test';
import { DECODER_BUNDLE, REPO_ROOT, runCli } from '../testkit/cli.js';
import { writeDecoderWrapper } from '../testkit/containerd.js';
import { buildLayout } from '../testkit/image-builder.js';
import { readImage } from '../testkit/image-reader.js';
import { encodePayload, encryptedLayer, fixtureKeyDir, fixtureLayer, runDecoder, sha256 } from './decoder-helpers.js';

const TRACER = new URL('../testkit/module-trace.js', import.meta.url).href;
const work = mkdtempSync(join(tmpdir(), 'imgseal-decoder-bundle-'));
after(() => rmSync(work, { recursive: true, force: true }));

const keyDir = (name: string, files: Record<string, string>): string => fixtureKeyDir(work, name, files);

describe('the bundled decoder', () => {
  test('decrypts jwe, pgp and pkcs7 layers skopeo encrypted', async () => {
    for (const [vector, keys] of [
      ['jwe-rsa2048', { 'rsa1.pem': 'jwe-rsa2048/keys/rsa1_priv.pem' }],
      ['pgp', { 'secring.gpg': 'pgp/keys/pgp_secring.gpg' }],
      ['pkcs7', { 'key.pem': 'pkcs7/keys/pkcs7_priv.pem', 'cert.pem': 'pkcs7/keys/pkcs7_cert.pem' }],
    ] as const) {
      const layer = fixtureLayer(vector);
      const r = await runDecoder(['--decryption-keys-path', keyDir(vector, keys)], layer.blob, encodePayload(layer.descriptor), {}, [DECODER_BUNDLE]);
      assert.equal(r.code, 0, `${vector}: ${r.stderr}`);
      assert.equal(r.stderr, '', vector);
      assert.equal(sha256(r.stdout), layer.expected.plaintext_blob_digest, vector);
    }
  });

  test('a jwe layer loads only the bundle: no dist/src module, no ES module from node_modules', async () => {
    const layer = fixtureLayer('jwe-rsa2048');
    const trace = join(work, 'trace');
    const env = { NODE_OPTIONS: `--import=${TRACER}`, IMGSEAL_MODULE_TRACE: trace };
    const r = await runDecoder(['--decryption-keys-path', keyDir('jwe', { 'rsa1.pem': 'jwe-rsa2048/keys/rsa1_priv.pem' })], layer.blob, encodePayload(layer.descriptor), env, [DECODER_BUNDLE]);
    assert.equal(r.code, 0, r.stderr);
    assert.equal(sha256(r.stdout), layer.expected.plaintext_blob_digest);
    const files = [...new Set(readFileSync(trace, 'utf8').split('\n'))].filter((u) => u.startsWith('file:') && !u.includes('/dist/test/testkit/'));
    assert.ok(files.some((u) => u.endsWith('/dist/decoder/decoder-main.js')), `the tracer saw the bundle: ${files.join(' ')}`);
    assert.deepEqual(files.filter((u) => !u.includes('/dist/decoder/')), [], 'only files of the bundle');
    assert.ok(files.length <= 10, `${files.length} bundle files loaded: ${files.join(' ')}`);
  });
});

// The README's wrapper is what users install and what the containerd tests run
// (testkit/containerd.ts). containerd passes its environment on, and Node parses a
// NODE_EXTRA_CA_CERTS bundle at every start (a missing file: a warning on stderr, which
// containerd would show next to a real error), so the wrapper drops it.
test("the README's decoder wrapper is the tests' wrapper, and drops NODE_EXTRA_CA_CERTS", async () => {
  const readme = readFileSync(join(REPO_ROOT, 'README.md'), 'utf8');
  const block = /wrapper installed as `\/usr\/local\/bin\/imgseal-decoder`:\n\n```sh\n([^`]*)```/.exec(readme)?.[1];
  assert.ok(block, 'the README shows the wrapper');
  const dir = join(work, 'wrapper');
  mkdirSync(dir, { recursive: true });
  const wrapper = writeDecoderWrapper(dir);
  const ours = readFileSync(wrapper, 'utf8').replace(`exec ${process.execPath} ${DECODER_BUNDLE}`, 'exec node /opt/imgseal/dist/decoder/decoder-main.js');
  assert.equal(ours, block);
  const layer = fixtureLayer('jwe-rsa2048');
  const keys = keyDir('wrapper-keys', { 'rsa1.pem': 'jwe-rsa2048/keys/rsa1_priv.pem' });
  const env = { NODE_EXTRA_CA_CERTS: join(work, 'no-such-bundle.pem') };
  const r = await runDecoder(['--decryption-keys-path', keys], layer.blob, encodePayload(layer.descriptor), env, [wrapper], '/bin/sh');
  assert.equal(r.code, 0, r.stderr);
  assert.equal(r.stderr, '', 'nothing on stderr: Node did not try to load the bundle');
  assert.equal(sha256(r.stdout), layer.expected.plaintext_blob_digest);
  // The check can fail: the bundle run directly with the same environment warns.
  const direct = await runDecoder(['--decryption-keys-path', keys], layer.blob, encodePayload(layer.descriptor), env, [DECODER_BUNDLE]);
  assert.match(direct.stderr, /Ignoring extra certs/);
});

// Layers from 128 MiB hash two of their passes on the worker thread (decoder-main.ts);
// IMGSEAL_HASH_WORKER_MIN=0 puts this 8 MiB layer there too. Whichever thread finds
// the fault, nothing reaches stdout.
describe('the bundled decoder with the hash worker', () => {
  const env = { IMGSEAL_HASH_WORKER_MIN: '0' };
  let layer: Awaited<ReturnType<typeof encryptedLayer>>;
  let blob: Buffer;
  before(async () => {
    layer = await encryptedLayer(join(work, 'big'), 8 << 20);
    blob = readFileSync(layer.blobPath);
  });

  test('decrypts an 8 MiB layer', async () => {
    const r = await runDecoder(['--decryption-keys-path', layer.keysDir], blob, encodePayload(layer.descriptor), env, [DECODER_BUNDLE]);
    assert.equal(r.code, 0, r.stderr);
    assert.equal(sha256(r.stdout), layer.plainDigest);
  });

  test('a changed byte (digest on the worker) and altered ciphertext with consistent digests (HMAC): nothing on stdout', async () => {
    const altered = Buffer.from(blob);
    altered[altered.length >> 1] = (altered[altered.length >> 1] as number) ^ 0x01;
    const wrongDigest = await runDecoder(['--decryption-keys-path', layer.keysDir], altered, encodePayload(layer.descriptor), env, [DECODER_BUNDLE]);
    assert.equal(wrongDigest.code, 1);
    assert.equal(wrongDigest.stdout.length, 0);
    assert.match(wrongDigest.stderr, /digest mismatch: the manifest says sha256:[0-9a-f]{64}, the content is sha256:/);
    const consistent = { ...layer.descriptor, digest: sha256(altered) };
    const hmac = await runDecoder(['--decryption-keys-path', layer.keysDir], altered, encodePayload(consistent), env, [DECODER_BUNDLE]);
    assert.equal(hmac.code, 1);
    assert.equal(hmac.stdout.length, 0);
    assert.match(hmac.stderr, /HMAC mismatch/);
  });
});

// A key provider needs no key file: the decoder reaches it through
// OCICRYPT_KEYPROVIDER_CONFIG from its environment (containerd passes it on).
test('the bundled decoder unwraps through a key provider named by OCICRYPT_KEYPROVIDER_CONFIG', { timeout: 120_000 }, async () => {
  const example = join(REPO_ROOT, 'examples/keyprovider/aes-keyprovider.mjs');
  const key = join(work, 'provider.key');
  const gen = spawnSync(process.execPath, [example, '--generate-key', key], { encoding: 'utf8' });
  assert.equal(gen.status, 0, gen.stderr);
  const config = join(work, 'keyprovider.json');
  writeFileSync(config, JSON.stringify({ 'key-providers': { aes: { cmd: { path: process.execPath, args: [example, '--key', key] } } } }));
  const env = { OCICRYPT_KEYPROVIDER_CONFIG: config };
  const src = join(work, 'kp-src');
  const built = await buildLayout(src, [{ files: { 'secret.txt': 'via the key provider\n' }, compression: 'gzip' }], { ref: 't' });
  const enc = join(work, 'kp-enc');
  const c = await runCli(['copy', '-q', '--encryption-key', 'provider:aes', `oci:${src}:t`, `oci:${enc}:t`], { env });
  assert.equal(c.code, 0, c.stderr);
  const layer = (await readImage(enc, 't')).layers[0];
  assert.ok(layer?.desc.annotations?.['org.opencontainers.image.enc.keys.provider.aes'], 'wrapped by the provider');
  const noKeys = join(work, 'kp-keys');
  mkdirSync(noKeys);
  const r = await runDecoder(['--decryption-keys-path', noKeys], layer.blob, encodePayload(layer.desc), env, [DECODER_BUNDLE]);
  assert.equal(r.code, 0, r.stderr);
  assert.equal(sha256(r.stdout), built.layers[0]?.desc.digest);
  const without = await runDecoder(['--decryption-keys-path', noKeys], layer.blob, encodePayload(layer.desc), {}, [DECODER_BUNDLE]);
  assert.equal(without.code, 1);
  assert.equal(without.stdout.length, 0);
});
