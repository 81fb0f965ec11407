// The decoder's stdout is a pipe that containerd may read slower than we write. A
// reader that pauses must still get the whole verified plaintext, both when fd 1 is a
// blocking pipe (the direct writes of node/decoder/fd-pump.ts wait) and when something
// made it non-blocking (EAGAIN: the rest goes through process.stdout). Regression: fs
// writes on a non-blocking fd 1 failed with "write failed" after a partial write; the
// hash worker made fd 1 non-blocking until it stopped piping its stdout there.
import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, test } from 'node:test';
import { DECODER_BUNDLE } from '../testkit/cli.js';
import { encodePayload, encryptedLayer, sha256 } from './decoder-helpers.js';

const work = mkdtempSync(join(tmpdir(), 'imgseal-decoder-slow-'));
after(() => rmSync(work, { recursive: true, force: true }));
let layer: Awaited<ReturnType<typeof encryptedLayer>>;
before(async () => {
  layer = await encryptedLayer(work, 24 << 20);
});

// A preload that opens process.stdout: libuv then sets O_NONBLOCK on the pipe.
const OPEN_STDOUT = `--import=data:text/javascript,process.stdout`;

async function slowRead(env: Record<string, string>): Promise<{ code: number | null; stderr: string; plaintext: Buffer }> {
  const child = spawn(process.execPath, [DECODER_BUNDLE, '--decryption-keys-path', layer.keysDir], {
    stdio: ['pipe', 'pipe', 'pipe', 'pipe'],
    env: { ...process.env, ...env },
  });
  let stderr = '';
  child.stderr.setEncoding('utf8').on('data', (d: string) => (stderr += d));
  const fd3 = child.stdio[3] as NodeJS.WritableStream;
  fd3.end(encodePayload(layer.descriptor));
  child.stdin.end(readFileSync(layer.blobPath));
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
  return { code, stderr, plaintext: Buffer.concat(out) };
}

for (const [what, env] of [
  ['a blocking pipe, with the hash worker', { IMGSEAL_HASH_WORKER_MIN: '0' }],
  ['a blocking pipe, hashing inline', { IMGSEAL_INLINE_HASH: '1' }],
  ['a pipe made non-blocking', { NODE_OPTIONS: OPEN_STDOUT }],
] as const) {
  test(`a 24 MiB layer through ${what} whose reader pauses: whole plaintext, exit 0`, { timeout: 180_000 }, async () => {
    const r = await slowRead(env);
    assert.equal(r.stderr, '');
    assert.equal(r.code, 0);
    assert.equal(sha256(r.plaintext), layer.plainDigest);
  });
}
