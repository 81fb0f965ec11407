// The decoder's stdout is a pipe that containerd may read slower than we write: with a
// layer big enough for the hash worker (which makes libuv switch fd 1 to non-blocking),
// a reader that pauses must still get the whole verified plaintext (regression: fs
// writes on fd 1 failed with EAGAIN, "write failed", after a partial write).
import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, test } from 'node:test';
import { DECODER_BUNDLE } from '../testkit/cli.js';
import { encodePayload, encryptedLayer, sha256 } from './decoder-helpers.js';

const work = mkdtempSync(join(tmpdir(), 'imgseal-decoder-slow-'));
after(() => rmSync(work, { recursive: true, force: true }));

test('a 24 MiB layer through a stdout pipe whose reader pauses: whole plaintext, exit 0', { timeout: 180_000 }, async () => {
  const { blobPath, descriptor, plainDigest, keysDir: keys } = await encryptedLayer(work, 24 << 20);

  const child = spawn(process.execPath, [DECODER_BUNDLE, '--decryption-keys-path', keys], {
    stdio: ['pipe', 'pipe', 'pipe', 'pipe'],
    // The hash worker (off by default in the decoder) is what made fd 1 non-blocking.
    env: { ...process.env, IMGSEAL_INLINE_HASH: '0' },
  });
  let stderr = '';
  child.stderr.setEncoding('utf8').on('data', (d: string) => (stderr += d));
  const fd3 = child.stdio[3] as NodeJS.WritableStream;
  fd3.end(encodePayload(descriptor));
  child.stdin.end(readFileSync(blobPath));
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
  assert.equal(sha256(Buffer.concat(out)), plainDigest);
});
