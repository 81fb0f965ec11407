// `--returns application/vnd.oci.image.layer.v1.tar`: a tar+zstd layer registered under
// containerd's `…decoder.v1.tar` id (the only id besides tar.gzip that gets its payload)
// comes out as the uncompressed tar containerd expects there, decompressed only after
// every check passed; any other conversion is refused before a byte is read.
import assert from 'node:assert/strict';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, test } from 'node:test';
import { CLI_MAIN, DECODER_BUNDLE } from '../testkit/cli.js';
import { encodePayload, encryptedLayer, fixtureKeyDir, fixtureLayer, runDecoder, sha256, type LayerDescriptor } from './decoder-helpers.js';

const TAR = 'application/vnd.oci.image.layer.v1.tar';
const work = mkdtempSync(join(tmpdir(), 'imgseal-decoder-returns-'));
after(() => rmSync(work, { recursive: true, force: true }));

describe('imgseal decoder --returns', () => {
  let layer: Awaited<ReturnType<typeof encryptedLayer>>;
  let blob: Buffer;
  before(async () => {
    layer = await encryptedLayer(join(work, 'zstd'), 3 << 20, 'zstd');
    blob = readFileSync(layer.blobPath);
  });

  test('a tar+zstd layer with --returns tar: the uncompressed tar (its diff_id), from the CLI and the bundle', async () => {
    assert.equal(layer.descriptor.mediaType, 'application/vnd.oci.image.layer.v1.tar+zstd+encrypted');
    for (const entry of [[CLI_MAIN, 'decoder'], [DECODER_BUNDLE]]) {
      const r = await runDecoder(['--decryption-keys-path', layer.keysDir, '--returns', TAR], blob, encodePayload(layer.descriptor), { STREAM_PROCESSOR_MEDIATYPE: layer.descriptor.mediaType }, entry);
      assert.equal(r.code, 0, r.stderr);
      assert.equal(r.stderr, '');
      assert.equal(sha256(r.stdout), layer.diffId);
    }
  });

  test('without --returns (or with the layer\'s own type) the zstd plaintext as it was encrypted', async () => {
    for (const extra of [[], ['--returns=application/vnd.oci.image.layer.v1.tar+zstd']]) {
      const r = await runDecoder(['--decryption-keys-path', layer.keysDir, ...extra], blob, encodePayload(layer.descriptor), {}, [DECODER_BUNDLE]);
      assert.equal(r.code, 0, r.stderr);
      assert.equal(sha256(r.stdout), layer.plainDigest);
      assert.notEqual(layer.plainDigest, layer.diffId);
    }
  });

  test('an altered ciphertext with consistent digests fails on the HMAC: nothing decompressed, nothing on stdout', async () => {
    const altered = Buffer.from(blob);
    altered[altered.length >> 1] = (altered[altered.length >> 1] as number) ^ 0x04;
    const descriptor: LayerDescriptor = { ...layer.descriptor, digest: sha256(altered) };
    const r = await runDecoder(['--decryption-keys-path', layer.keysDir, '--returns', TAR], altered, encodePayload(descriptor), {}, [DECODER_BUNDLE]);
    assert.equal(r.code, 1);
    assert.equal(r.stdout.length, 0);
    assert.match(r.stderr, /HMAC mismatch/);
  });

  test('a conversion it cannot make (tar+gzip to tar, or to any other type) is one line, exit 1, nothing on stdout', async () => {
    const gz = fixtureLayer('jwe-rsa2048');
    const keys = fixtureKeyDir(work, 'rsa', { 'rsa1.pem': 'jwe-rsa2048/keys/rsa1_priv.pem' });
    for (const [b, d, k, returns] of [
      [gz.blob, gz.descriptor, keys, TAR],
      [blob, layer.descriptor, layer.keysDir, 'application/vnd.oci.image.layer.v1.tar+gzip'],
    ] as const) {
      const r = await runDecoder(['--decryption-keys-path', k, '--returns', returns], b, encodePayload(d), {}, [DECODER_BUNDLE]);
      assert.equal(r.code, 1);
      assert.equal(r.stdout.length, 0);
      const lines = r.stderr.trimEnd().split('\n');
      assert.equal(lines.length, 1, r.stderr);
      assert.match(lines[0] as string, new RegExp(`^imgseal: layer sha256:[0-9a-f]{64}: cannot return ${returns.replace(/[.+]/g, '\\$&')} for a `));
    }
  });
});
