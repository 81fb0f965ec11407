/**
 * The file-to-file path of a blob copy (copy/pump-blob.ts): positioned reads into
 * reused buffers, the steps driven chunk by chunk, the destination pulling chunks.
 * It must deliver exactly the source's bytes whatever the read sizes, keep the chunk
 * lifetime BlobChunks promises, release the end only after every check passed, and
 * refuse what the stream path refuses, leaving nothing staged.
 */
import assert from 'node:assert/strict';
import { createHash, randomBytes } from 'node:crypto';
import { execFileSync } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync, unlinkSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, test } from 'node:test';
import { silentProgress } from '../../src/copy/progress.js';
import { BlobPump } from '../../src/copy/pump-blob.js';
import { ProgressStep } from '../../src/copy/steps/progress.js';
import { DigestVerifier } from '../../src/copy/steps/verify-digest.js';
import { LayerDecryptor, LayerEncryptor, newLayerSecrets } from '../../src/crypto/cipher/layer-cipher.js';
import { isImgsealError } from '../../src/errors.js';
import type { Descriptor } from '../../src/model/descriptor.js';
import type { Digest } from '../../src/model/digest.js';
import { parseImageName } from '../../src/transports/transports.js';
import { transferUnchanged } from './transfer-helpers.js';
import type { BlobReader } from '../../src/transports/types.js';
import { buildLayout } from '../testkit/image-builder.js';
import { blobFile, listDir } from '../testkit/image-reader.js';

const dir = mkdtempSync(join(tmpdir(), 'imgseal-pump-'));
after(() => rmSync(dir, { recursive: true, force: true }));

const sha = (b: Uint8Array): Digest => `sha256:${createHash('sha256').update(b).digest('hex')}`;

/** A reader over bytes in memory that answers each read with a random short count. */
function shortReads(bytes: Buffer): BlobReader & { closed: boolean } {
  return {
    closed: false,
    async read(buffer, length, position) {
      const n = Math.min(length, bytes.length - position, 1 + Math.floor(Math.random() * length));
      bytes.copy(buffer, 0, position, position + Math.max(n, 0));
      return Math.max(n, 0);
    },
    async close() {
      this.closed = true;
    },
  };
}

/**
 * Pulls everything the way a destination may: each chunk is checked again once the
 * next call of next() has returned (one write in flight), when BlobChunks says it is
 * still valid. Returns what was pulled and whether the end (null) came.
 */
async function drain(pump: BlobPump): Promise<{ bytes: Buffer; ended: boolean; error?: unknown }> {
  const parts: Buffer[] = [];
  let held: { chunk: Buffer; copy: Buffer } | undefined;
  try {
    for (;;) {
      const c = await pump.next();
      if (held) assert.ok(held.chunk.equals(held.copy), 'a chunk changed before the second next() after it');
      if (c === null) return { bytes: Buffer.concat(parts), ended: true };
      parts.push(Buffer.from(c));
      held = { chunk: c, copy: Buffer.from(c) };
    }
  } catch (error) {
    return { bytes: Buffer.concat(parts), ended: false, error };
  }
}

test('the pump delivers exactly the source bytes through a cipher, whatever the read sizes, and keeps chunks valid as promised', async () => {
  const plain = randomBytes((3 << 20) + 12345);
  const secrets = newLayerSecrets();
  const enc = new LayerEncryptor(secrets);
  const reader = shortReads(plain);
  const encrypted = await drain(new BlobPump(reader, [new DigestVerifier(sha(plain), plain.length, 'blob'), enc], undefined, 64 << 10));
  assert.equal(encrypted.ended, true, String(encrypted.error));
  assert.equal(encrypted.bytes.length, plain.length);
  assert.ok(!encrypted.bytes.equals(plain));
  const dec = new LayerDecryptor({ ...secrets, hmac: enc.hmac });
  const decrypted = await drain(new BlobPump(shortReads(encrypted.bytes), [dec], undefined, 64 << 10));
  assert.equal(decrypted.ended, true, String(decrypted.error));
  assert.ok(decrypted.bytes.equals(plain));
});

test('a failed check at the end rejects next() after the last chunk: the end is never released', async () => {
  const bytes = randomBytes(1 << 20);
  const wrong = await drain(new BlobPump(shortReads(bytes), [new DigestVerifier(sha(Buffer.from('other')), bytes.length, 'blob')], undefined, 64 << 10));
  assert.equal(wrong.ended, false);
  assert.ok(isImgsealError(wrong.error, 'DIGEST_MISMATCH'), String(wrong.error));
  assert.equal(wrong.bytes.length, bytes.length);
  const secrets = newLayerSecrets();
  const tampered = await drain(new BlobPump(shortReads(bytes), [new LayerDecryptor({ ...secrets, hmac: randomBytes(32) })], undefined, 64 << 10));
  assert.equal(tampered.ended, false);
  assert.ok(isImgsealError(tampered.error, 'HMAC_MISMATCH'), String(tampered.error));
  const short = await drain(new BlobPump(shortReads(bytes), [new DigestVerifier(sha(bytes), bytes.length + 1, 'blob')], undefined, 64 << 10));
  assert.ok(isImgsealError(short.error, 'SIZE_MISMATCH'), String(short.error));
});

test('a reader that fails is the pump failure, and close waits for the read under way', async () => {
  let reads = 0;
  let closedWithReadPending = false;
  let pendingRead = false;
  const reader: BlobReader = {
    async read(buffer, length) {
      pendingRead = true;
      await new Promise((r) => setTimeout(r, 5));
      pendingRead = false;
      if (++reads === 3) throw new Error('EIO: the disk went away');
      buffer.fill(1, 0, length);
      return length;
    },
    async close() {
      closedWithReadPending = pendingRead;
    },
  };
  const pump = new BlobPump(reader, [new ProgressStep(silentProgress, { mediaType: 'x', digest: 'sha256:00', size: 1 } as Descriptor)], undefined, 1024);
  const r = await drain(pump);
  assert.match(String(r.error), /EIO/);
  assert.equal(pump.failure, r.error);
  await pump.close();
  assert.equal(closedWithReadPending, false);
});

async function bigLayout(name: string) {
  const src = join(dir, name);
  const img = await buildLayout(src, [{ files: { 'big.bin': randomBytes(1536 * 1024).toString('hex') }, compression: 'none' }], { ref: 'v1' });
  return { src, big: img.layers[0]!.desc as Descriptor };
}

function transfer(srcDir: string, destDir: string, desc: Descriptor) {
  return (async () => {
    const src = await parseImageName(`oci:${srcDir}:v1`).newImageSource({});
    const dest = await parseImageName(`oci:${destDir}:v1`).newImageDestination({});
    try {
      return await transferUnchanged(src, dest, desc);
    } finally {
      await dest.close();
      await src.close();
    }
  })();
}

test('oci: to oci: a large blob is pumped and lands intact; a changed one is refused and nothing is left', async () => {
  const { src, big } = await bigLayout('good');
  assert.deepEqual(await transfer(src, join(dir, 'good-out'), big), { digest: big.digest, size: big.size });
  const { src: bad, big: badDesc } = await bigLayout('bad');
  const file = blobFile(bad, badDesc.digest);
  const bytes = readFileSync(file);
  bytes.writeUInt8(bytes.readUInt8(bytes.length >> 1) ^ 1, bytes.length >> 1);
  writeFileSync(file, bytes);
  await assert.rejects(transfer(bad, join(dir, 'bad-out'), badDesc), (err) => isImgsealError(err, 'DIGEST_MISMATCH'));
  assert.deepEqual(listDir(dir).filter((n) => n.startsWith('bad-out') || n.includes('bad-out')), []);
});

test('a FIFO in the place of a blob is refused at once, not waited on', async () => {
  const { src, big } = await bigLayout('fifo');
  const file = blobFile(src, big.digest);
  unlinkSync(file);
  execFileSync('mkfifo', [file]);
  const started = Date.now();
  await assert.rejects(transfer(src, join(dir, 'fifo-out'), big), (err) => isImgsealError(err, 'IO_ERROR') && /not a regular file/.test(err.message));
  assert.ok(Date.now() - started < 5000);
});
