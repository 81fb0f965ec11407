// The decoder's stdout is a pipe that containerd may read slower than we write: with a
// layer big enough for the hash worker (which makes libuv switch fd 1 to non-blocking),
// a reader that pauses must still get the whole verified plaintext (regression: fs
// writes on fd 1 failed with EAGAIN, "write failed", after a partial write).
import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, test } from 'node:test';
import { FIXTURES, REPO_ROOT, runCli } from '../testkit/cli.js';
import { encodePayload, sha256, type LayerDescriptor } from './decoder-helpers.js';

const work = mkdtempSync(join(tmpdir(), 'imgseal-decoder-slow-'));
after(() => rmSync(work, { recursive: true, force: true }));

function writeBlob(dir: string, bytes: Buffer): { digest: string; size: number } {
  const digest = sha256(bytes);
  writeFileSync(join(dir, 'blobs', 'sha256', digest.slice(7)), bytes);
  return { digest, size: bytes.length };
}

test('a 24 MiB layer through a stdout pipe whose reader pauses: whole plaintext, exit 0', { timeout: 180_000 }, async () => {
  const src = join(work, 'src');
  mkdirSync(join(src, 'blobs', 'sha256'), { recursive: true });
  const plain = randomBytes(24 << 20);
  const layer = writeBlob(src, plain);
  const config = writeBlob(src, Buffer.from(JSON.stringify({ architecture: 'amd64', os: 'linux', rootfs: { type: 'layers', diff_ids: [layer.digest] } })));
  const manifest = writeBlob(src, Buffer.from(JSON.stringify({ schemaVersion: 2, mediaType: 'application/vnd.oci.image.manifest.v1+json', config: { mediaType: 'application/vnd.oci.image.config.v1+json', ...config }, layers: [{ mediaType: 'application/vnd.oci.image.layer.v1.tar', ...layer }] })));
  writeFileSync(join(src, 'oci-layout'), '{"imageLayoutVersion":"1.0.0"}');
  writeFileSync(join(src, 'index.json'), JSON.stringify({ schemaVersion: 2, manifests: [{ mediaType: 'application/vnd.oci.image.manifest.v1+json', ...manifest, annotations: { 'org.opencontainers.image.ref.name': 't' } }] }));
  const enc = join(work, 'enc');
  const c = await runCli(['copy', '--encryption-key', `jwe:${join(FIXTURES, 'jwe-rsa2048/keys/rsa1_pub.pem')}`, `oci:${src}:t`, `oci:${enc}:t`]);
  assert.equal(c.code, 0, c.stderr);
  const blob = (d: string): string => join(enc, 'blobs', 'sha256', d.slice(7));
  const index = JSON.parse(readFileSync(join(enc, 'index.json'), 'utf8')) as { manifests: { digest: string }[] };
  const m = JSON.parse(readFileSync(blob((index.manifests[0] as { digest: string }).digest), 'utf8')) as { layers: LayerDescriptor[] };
  const descriptor = m.layers[0] as LayerDescriptor;
  const keys = join(work, 'keys');
  mkdirSync(keys);
  writeFileSync(join(keys, 'rsa.pem'), readFileSync(join(FIXTURES, 'jwe-rsa2048/keys/rsa1_priv.pem')));

  const child = spawn(process.execPath, [join(REPO_ROOT, 'dist/src/cli/decoder-main.js'), '--decryption-keys-path', keys], {
    stdio: ['pipe', 'pipe', 'pipe', 'pipe'],
    // The hash worker (off by default in the decoder) is what made fd 1 non-blocking.
    env: { ...process.env, IMGSEAL_INLINE_HASH: '0' },
  });
  let stderr = '';
  child.stderr.setEncoding('utf8').on('data', (d: string) => (stderr += d));
  const fd3 = child.stdio[3] as NodeJS.WritableStream;
  fd3.end(encodePayload(descriptor));
  child.stdin.end(readFileSync(blob(descriptor.digest)));
  // Do not read for a while: the pipe fills and the decoder's writes must wait, not fail.
  child.stdout.pause();
  await new Promise((r) => setTimeout(r, 1500));
  const out: Buffer[] = [];
  for await (const chunk of child.stdout) {
    out.push(chunk as Buffer);
    // A slow reader: a pause every few chunks.
    if (out.length % 16 === 0) await new Promise((r) => setTimeout(r, 5));
  }
  const code = await new Promise<number | null>((resolve) => (child.exitCode !== null ? resolve(child.exitCode) : child.on('close', resolve)));
  assert.equal(stderr, '');
  assert.equal(code, 0);
  assert.equal(sha256(Buffer.concat(out)), layer.digest);
});
