// The decoder's spool (node/decoder/spool.ts): what is read back in order is exactly
// what was appended, whatever the chunk sizes and however they fall on block
// boundaries; the file gives its space back block by block as phase 2 reads; more
// bytes than the descriptor announced are refused as they arrive; and the file is
// unlinked from the start and 0600.
import assert from 'node:assert/strict';
import { randomBytes } from 'node:crypto';
import { fstatSync, mkdtempSync, readdirSync, readlinkSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { test } from 'node:test';
import { Spool, SPOOL_BLOCK } from '../../src/node/decoder/spool.js';
import { isImgsealError } from '../../src/errors.js';

/** The descriptor of this process's open spool file under `parent` (it has no name any more). */
function spoolFd(parent: string): number {
  for (const name of readdirSync('/proc/self/fd')) {
    let target: string;
    try {
      target = readlinkSync(`/proc/self/fd/${name}`);
    } catch {
      continue;
    }
    if (target.startsWith(join(parent, 'imgseal-decoder-'))) return Number(name);
  }
  throw new Error('no open spool file');
}

/** Runs `fn` with a fresh parent folder for the spool, removed afterwards. */
function inParent(fn: (parent: string) => void): void {
  const parent = mkdtempSync(join(tmpdir(), 'imgseal-spool-test-'));
  try {
    fn(parent);
  } finally {
    rmSync(parent, { recursive: true, force: true });
  }
}

function readAll(spool: Spool, bufSize: number, onBlock?: (pos: number) => void): Buffer {
  const out: Buffer[] = [];
  const buf = Buffer.alloc(bufSize);
  for (let pos = 0; ; ) {
    const n = spool.read(buf, pos);
    if (n === 0) break;
    out.push(Buffer.from(buf.subarray(0, n)));
    pos += n;
    onBlock?.(pos);
  }
  return Buffer.concat(out);
}

test('chunks across block boundaries read back in order; the file shrinks as blocks are released', () => {
  inParent((parent) => {
    const size = 3 * SPOOL_BLOCK + 12_345; // four blocks, the last one short
    const data = randomBytes(size);
    const spool = new Spool(size, parent);
    assert.deepEqual(readdirSync(parent), [], 'the spool file and its folder are unlinked at once');
    const fd = spoolFd(parent);
    assert.equal(fstatSync(fd).mode & 0o777, 0o600);
    // Chunk sizes that start and end inside blocks, straddle one boundary, or cover a block and more.
    const sizes = [1, 65_536, SPOOL_BLOCK - 65_537, SPOOL_BLOCK + 7, 100_000, 4096];
    for (let off = 0, i = 0; off < size; i++) {
      const n = Math.min(sizes[i % sizes.length] as number, size - off);
      spool.append(data.subarray(off, off + n));
      off += n;
    }
    assert.equal(spool.size, size);
    const full = fstatSync(fd).size;
    assert.ok(full >= size && full <= 4 * SPOOL_BLOCK, `spool file of ${full} bytes for ${size}`);
    const seen: number[] = [];
    const back = readAll(spool, 300_000, () => seen.push(fstatSync(fd).size));
    assert.ok(back.equals(data), 'read back differs from what was appended');
    // By the time the last block is read, the three blocks before it are gone from the file.
    assert.ok(Math.min(...seen) <= SPOOL_BLOCK, `the file never shrank below ${Math.min(...seen)} bytes`);
    assert.ok(seen.every((s, i) => i === 0 || s <= (seen[i - 1] as number)), 'the file only shrinks while it is read');
    spool.close();
  });
});

test('one byte more than the descriptor announced is refused as it arrives', () => {
  inParent((parent) => {
    const spool = new Spool(1000, parent);
    spool.append(randomBytes(999));
    assert.throws(
      () => spool.append(randomBytes(2)),
      (err: unknown) => isImgsealError(err, 'SIZE_MISMATCH') && /longer than the 1000 bytes/.test((err as Error).message),
    );
    assert.equal(spool.size, 999);
    spool.close();
  });
});

test('an empty layer spools and releases nothing; a spool cannot be used after close', () => {
  inParent((parent) => {
    const spool = new Spool(0, parent);
    assert.equal(readAll(spool, 16).length, 0);
    spool.close();
    assert.throws(() => spool.append(Buffer.alloc(0)), (err: unknown) => isImgsealError(err, 'INTERNAL'));
  });
});
