/**
 * Small blobs move as whole buffers when both ends offer getBlobBytes/putBlobBytes,
 * large ones in chunks (openBlobReader/putBlobChunks, see pumped-blob.test.ts) or as
 * streams when an end lacks those, and the whole-blob path
 * keeps every check of the streaming one.
 */
import assert from 'node:assert/strict';
import { randomBytes } from 'node:crypto';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Transform } from 'node:stream';
import { after, test } from 'node:test';
import { WHOLE_BLOB_MAX } from '../../src/copy/copy-blob.js';
import { isImgsealError } from '../../src/errors.js';
import type { Descriptor } from '../../src/model/descriptor.js';
import type { Digest } from '../../src/model/digest.js';
import { parseImageName } from '../../src/transports/transports.js';
import type { ImageDestination, ImageSource } from '../../src/transports/types.js';
import { buildLayout, LAYER_TAR, sha256 } from '../testkit/image-builder.js';
import { transferUnchanged } from './transfer-helpers.js';
import { blobFile, listDir } from '../testkit/image-reader.js';

const dir = mkdtempSync(join(tmpdir(), 'imgseal-whole-'));
after(() => rmSync(dir, { recursive: true, force: true }));

type Calls = Record<string, number>;

/** The same object, counting calls to the blob methods. */
function counted<T extends object>(target: T, calls: Calls, hide: string[] = []): T {
  return new Proxy(target, {
    get(obj, key, receiver) {
      if (typeof key === 'string' && hide.includes(key)) return undefined;
      const v = Reflect.get(obj, key, receiver) as unknown;
      if (typeof key !== 'string' || typeof v !== 'function' || !/^(get|put)Blob/.test(key)) return v;
      return (...args: unknown[]) => {
        calls[key] = (calls[key] ?? 0) + 1;
        return (v as (...a: unknown[]) => unknown).apply(obj, args);
      };
    },
  });
}

async function ends(srcDir: string, destDir: string, hideDest: string[] = []) {
  const calls: Calls = {};
  const src = counted(await parseImageName(`oci:${srcDir}:v1`).newImageSource({}), calls) as ImageSource;
  const rawDest = await parseImageName(`oci:${destDir}:v1`).newImageDestination({});
  const dest = counted(rawDest, calls, hideDest) as ImageDestination;
  return { calls, src, dest, close: () => rawDest.close() };
}

const transfer = transferUnchanged;

async function layout(name: string) {
  const src = join(dir, name);
  // base64 text: a tar that stays larger than WHOLE_BLOB_MAX whatever the padding
  const img = await buildLayout(
    src,
    [
      { files: { 'small.txt': 'small\n' }, compression: 'none' },
      { files: { 'big.txt': randomBytes(WHOLE_BLOB_MAX).toString('base64') }, compression: 'none' },
    ],
    { ref: 'v1' },
  );
  const [small, big] = img.layers.map((l) => l.desc as Descriptor);
  assert.ok(small && big && small.size <= WHOLE_BLOB_MAX && big.size > WHOLE_BLOB_MAX);
  return { src, small, big };
}

test('a small blob moves whole, a large one in chunks, or as a stream without putBlobChunks', async () => {
  const { src, small, big } = await layout('sizes');
  const e = await ends(src, join(dir, 'sizes-out'));
  try {
    assert.deepEqual(await transfer(e.src, e.dest, small), { digest: small.digest, size: small.size });
    assert.deepEqual(e.calls, { getBlobBytes: 1, putBlobBytes: 1 });
    assert.deepEqual(await transfer(e.src, e.dest, big), { digest: big.digest, size: big.size });
    assert.deepEqual(e.calls, { getBlobBytes: 1, putBlobBytes: 1, putBlobChunks: 1 });
  } finally {
    await e.close();
  }
  const s = await ends(src, join(dir, 'sizes-stream-out'), ['putBlobChunks']);
  try {
    assert.deepEqual(await transfer(s.src, s.dest, big), { digest: big.digest, size: big.size });
    assert.deepEqual(s.calls, { getBlob: 1, putBlob: 1 });
  } finally {
    await s.close();
  }
});

test('a destination without putBlobBytes gets small blobs in chunks, or as streams', async () => {
  const { src, small } = await layout('nobytes');
  const e = await ends(src, join(dir, 'nobytes-out'), ['putBlobBytes']);
  try {
    assert.deepEqual(await transfer(e.src, e.dest, small), { digest: small.digest, size: small.size });
    assert.deepEqual(e.calls, { putBlobChunks: 1 });
  } finally {
    await e.close();
  }
  const s = await ends(src, join(dir, 'nobytes-stream-out'), ['putBlobBytes', 'putBlobChunks']);
  try {
    assert.deepEqual(await transfer(s.src, s.dest, small), { digest: small.digest, size: small.size });
    assert.deepEqual(s.calls, { getBlob: 1, putBlob: 1 });
  } finally {
    await s.close();
  }
});

test('a changed small blob is refused on the whole-blob path, and nothing is staged', async () => {
  const { src, small } = await layout('tampered');
  const file = blobFile(src, small.digest);
  const bytes = readFileSync(file);
  bytes.writeUInt8(bytes.readUInt8(bytes.length - 1) ^ 0x01, bytes.length - 1);
  writeFileSync(file, bytes);
  const out = join(dir, 'tampered-out');
  const e = await ends(src, out);
  try {
    // the destination verifies an unchanged blob itself
    await assert.rejects(transfer(e.src, e.dest, small), (err) => isImgsealError(err, 'DIGEST_MISMATCH') && err.message.includes(small.digest));
    // a blob that steps transform is checked against the source descriptor first
    await assert.rejects(
      transfer(e.src, e.dest, small, { steps: () => [upper()], info: { mediaType: LAYER_TAR } }),
      (err) => isImgsealError(err, 'DIGEST_MISMATCH') && /digest mismatch: the manifest says/.test(err.message),
    );
    assert.equal(e.calls.getBlob, undefined);
  } finally {
    await e.close();
  }
  assert.deepEqual(listDir(dir).filter((n) => n.includes('tampered-out')), []);
});

test('a short small blob fails with a size mismatch', async () => {
  const { src, small } = await layout('short');
  const file = blobFile(src, small.digest);
  writeFileSync(file, readFileSync(file).subarray(0, small.size - 10));
  const e = await ends(src, join(dir, 'short-out'));
  try {
    await assert.rejects(
      transfer(e.src, e.dest, small, { steps: () => [upper()], info: { mediaType: LAYER_TAR } }),
      (err) => isImgsealError(err, 'SIZE_MISMATCH') && /truncated/.test(err.message),
    );
  } finally {
    await e.close();
  }
});

/** A step that changes the bytes (as encryption would). */
function upper(): Transform {
  return new Transform({
    transform(chunk: Buffer, _enc, cb) {
      cb(null, Buffer.from(chunk.toString('latin1').toUpperCase(), 'latin1'));
    },
  });
}

test('a small blob goes through the steps whole, and the destination names the new digest', async () => {
  const { src, small } = await layout('steps');
  const e = await ends(src, join(dir, 'steps-out'));
  try {
    const expected = Buffer.from(readFileSync(blobFile(src, small.digest)).toString('latin1').toUpperCase(), 'latin1');
    const res = await transfer(e.src, e.dest, small, { steps: () => [upper()], info: { mediaType: LAYER_TAR } });
    assert.deepEqual(res, { digest: sha256(expected) as Digest, size: expected.length });
    assert.deepEqual(e.calls, { getBlobBytes: 1, putBlobBytes: 1 });
  } finally {
    await e.close();
  }
});
