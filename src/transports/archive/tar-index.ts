/**
 * A random-access view of a tar file: one pass over the headers only
 * (data blocks are skipped by seeking, never read), recording where each entry's data
 * starts and how long it is. Blobs are then streamed straight from the file with
 * `createReadStream({start, end})`, so reading a multi-gigabyte archive costs one
 * header block per entry and constant memory.
 *
 * We parse headers ourselves rather than with tar-stream's extractor because the
 * extractor cannot skip data without reading it, and does not expose offsets.
 * Handled: ustar (name prefix), pax extended headers (path, linkpath, size),
 * GNU long names/link names (L/K), GNU base-256 sizes. Header-only types carry no data
 * (as Go's archive/tar, which wrote the archives skopeo produces).
 */
import { open, type FileHandle } from 'node:fs/promises';
import { createReadStream } from 'node:fs';
import { Readable, addAbortSignal } from 'node:stream';
import { posix } from 'node:path';
import { ImgsealError } from '../../errors.js';
import { throwIfAborted } from '../../util/abort.js';
import { decompressArchive, detectCompression, type ArchiveCompression } from './decompress.js';

const BLOCK = 512;

export type TarEntryType = 'file' | 'directory' | 'symlink' | 'hardlink' | 'other';

export interface TarEntry {
  name: string;
  type: TarEntryType;
  /** Byte offset of the entry's data in the archive. */
  offset: number;
  size: number;
  linkname?: string;
}

/** Entry names as archives spell them vary (`./a`, `a/`); one spelling for lookups. */
export function normalizeEntryName(name: string): string {
  const n = posix.normalize(name.replace(/^\/+/, '')).replace(/\/+$/, '');
  return n === '.' ? '' : n;
}

export class TarIndex {
  /** The archive as the user named it (for messages). */
  readonly file: string;
  /** The tar that is read: `file` itself, or an uncompressed temporary copy of it. */
  readonly path: string;
  private readonly entries: Map<string, TarEntry>;
  private readonly cleanup: (() => Promise<void>) | undefined;

  constructor(file: string, entries: Map<string, TarEntry>, copy?: { path: string; remove: () => Promise<void> }) {
    this.file = file;
    this.path = copy?.path ?? file;
    this.entries = entries;
    this.cleanup = copy?.remove;
  }

  /** Removes the temporary copy of a compressed archive (nothing to do for a plain tar). */
  async close(): Promise<void> {
    await this.cleanup?.();
  }

  names(): string[] {
    return [...this.entries.keys()];
  }

  /** The regular file at `name`, following symlinks and hard links (docker save uses both). */
  find(name: string): TarEntry | undefined {
    let current = normalizeEntryName(name);
    for (let hops = 0; hops < 16; hops++) {
      const e = this.entries.get(current);
      if (!e) return undefined;
      if (e.type === 'file') return e;
      if (e.type === 'symlink' && e.linkname !== undefined) {
        current = normalizeEntryName(posix.join(posix.dirname(current), e.linkname));
      } else if (e.type === 'hardlink' && e.linkname !== undefined) {
        current = normalizeEntryName(e.linkname);
      } else {
        return undefined;
      }
    }
    return undefined; // a symlink loop
  }

  /** Streams an entry's data from the archive file. */
  open(entry: TarEntry, signal?: AbortSignal): Readable {
    const stream =
      entry.size === 0 ? Readable.from([]) : createReadStream(this.path, { start: entry.offset, end: entry.offset + entry.size - 1 });
    return signal ? addAbortSignal(signal, stream) : stream;
  }

  /** Reads a small entry (index.json, manifest.json, a manifest) whole, refusing oversized ones. */
  async read(entry: TarEntry, maxBytes: number): Promise<Buffer> {
    if (entry.size > maxBytes) {
      throw new ImgsealError('MANIFEST_INVALID', `${this.file}: ${entry.name} is ${entry.size} bytes, more than the ${maxBytes} allowed`);
    }
    const fh = await open(this.path, 'r');
    try {
      const buf = Buffer.alloc(entry.size);
      const { bytesRead } = await fh.read(buf, 0, entry.size, entry.offset);
      if (bytesRead !== entry.size) throw truncated(this.file);
      return buf;
    } finally {
      await fh.close();
    }
  }
}

/**
 * Indexes `file`. A gzip or zstd archive is first decompressed into a temporary copy
 * (decompress.ts), which close() removes; other compressions and non-tar files are
 * refused with a clear message.
 */
export async function indexTar(file: string, opts: { signal?: AbortSignal } = {}): Promise<TarIndex> {
  throwIfAborted(opts.signal);
  let fh: FileHandle;
  try {
    fh = await open(file, 'r');
  } catch (err) {
    const code = (err as NodeJS.ErrnoException).code === 'ENOENT' ? 'IMAGE_NOT_FOUND' : 'IO_ERROR';
    throw new ImgsealError(code, `cannot open archive ${file}: ${(err as Error).message}`, { cause: err });
  }
  let compression: ArchiveCompression;
  try {
    const head = Buffer.alloc(8);
    const { bytesRead } = await fh.read(head, 0, head.length, 0);
    compression = detectCompression(head.subarray(0, bytesRead));
    if (compression === 'none') return new TarIndex(file, await readHeaders(fh, file, opts.signal));
  } finally {
    await fh.close();
  }
  const copy = await decompressArchive(file, compression, opts.signal);
  try {
    const plain = await open(copy.path, 'r');
    try {
      return new TarIndex(file, await readHeaders(plain, file, opts.signal), copy);
    } finally {
      await plain.close();
    }
  } catch (err) {
    await copy.remove();
    throw err;
  }
}

/**
 * One pass over the headers. Every number is checked before it moves the position
 * (a negative size once sent it backwards forever), so each step advances by at least
 * one block and the scan ends; it also stops when `signal` aborts.
 */
async function readHeaders(fh: FileHandle, file: string, signal?: AbortSignal): Promise<Map<string, TarEntry>> {
  const entries = new Map<string, TarEntry>();
  const fileSize = (await fh.stat()).size;
  const block = Buffer.alloc(BLOCK);
  let pos = 0;
  // Overrides that apply to the next real header (pax 'x', GNU 'L'/'K').
  let nextName: string | undefined;
  let nextLink: string | undefined;
  let nextSize: number | undefined;

  for (;;) {
    throwIfAborted(signal);
    const { bytesRead } = await fh.read(block, 0, BLOCK, pos);
    if (bytesRead === 0 && pos > 0) {
      // EOF without the end-of-archive blocks: accepted, as Go's archive/tar does, unless
      // an extended header announced an entry that never came.
      if (nextName !== undefined || nextLink !== undefined || nextSize !== undefined) throw truncated(file);
      break;
    }
    if (bytesRead !== BLOCK) throw pos === 0 ? new ImgsealError('MANIFEST_INVALID', `${file} is not a tar archive`) : truncated(file);
    if (block.every((b) => b === 0)) break;
    if (!checksumOk(block)) {
      throw new ImgsealError('MANIFEST_INVALID', pos === 0 ? `${file} is not a tar archive` : `${file}: corrupt tar header at offset ${pos}`);
    }
    const typeflag = String.fromCharCode(block[156] ?? 0);
    const headerOnly = '12345'.includes(typeflag);
    const size = headerOnly ? 0 : (nextSize ?? parseNumber(block.subarray(124, 136), file));
    const dataOffset = pos + BLOCK;
    // size is a safe, non-negative integer (parseNumber, paxSize): the position only moves forward.
    pos = dataOffset + Math.ceil(size / BLOCK) * BLOCK;
    if (!Number.isSafeInteger(pos) || pos > fileSize) throw truncated(file); // data or its padding cut off

    if (typeflag === 'x' || typeflag === 'L' || typeflag === 'K' || typeflag === 'g') {
      const data = await readData(fh, dataOffset, size, file);
      if (typeflag === 'x') {
        const rec = parsePax(data, file);
        if (rec.path !== undefined) nextName = rec.path;
        if (rec.linkpath !== undefined) nextLink = rec.linkpath;
        if (rec.size !== undefined) nextSize = paxSize(rec.size, file);
      } else if (typeflag === 'L') {
        nextName = cString(data);
      } else if (typeflag === 'K') {
        nextLink = cString(data);
      } // 'g' (global pax) carries nothing we use
      continue;
    }

    const name = nextName ?? headerName(block);
    const linkname = nextLink ?? cString(block.subarray(157, 257));
    nextName = nextLink = nextSize = undefined;
    const type: TarEntryType =
      typeflag === '0' || typeflag === '\0' || typeflag === '7'
        ? 'file'
        : typeflag === '5'
          ? 'directory'
          : typeflag === '2'
            ? 'symlink'
            : typeflag === '1'
              ? 'hardlink'
              : 'other';
    const key = normalizeEntryName(name);
    const entry: TarEntry = { name: key, type, offset: dataOffset, size };
    if (type === 'symlink' || type === 'hardlink') entry.linkname = linkname;
    entries.set(key, entry); // a later entry of the same name wins, as when extracting
  }
  return entries;
}

async function readData(fh: FileHandle, offset: number, size: number, file: string): Promise<Buffer> {
  if (size > 1 << 20) throw new ImgsealError('MANIFEST_INVALID', `${file}: extended tar header of ${size} bytes refused`);
  const buf = Buffer.alloc(size);
  const { bytesRead } = await fh.read(buf, 0, size, offset);
  if (bytesRead !== size) throw truncated(file);
  return buf;
}

function headerName(block: Buffer): string {
  const name = cString(block.subarray(0, 100));
  // Only POSIX ustar ("ustar\0") has a prefix field; GNU ("ustar ") keeps times there.
  if (block.subarray(257, 263).toString('latin1') === 'ustar\0') {
    const prefix = cString(block.subarray(345, 500));
    if (prefix) return `${prefix}/${name}`;
  }
  return name;
}

function cString(b: Buffer): string {
  const end = b.indexOf(0);
  return b.subarray(0, end === -1 ? b.length : end).toString('utf8');
}

/** A pax `size` record: decimal digits only, a safe integer (Go's archive/tar is as strict). */
function paxSize(value: string, file: string): number {
  const n = /^[0-9]{1,16}$/.test(value) ? Number(value) : NaN;
  if (!Number.isSafeInteger(n)) throw new ImgsealError('MANIFEST_INVALID', `${file}: invalid size ${JSON.stringify(value.slice(0, 40))} in a pax header`);
  return n;
}

/** Octal, or GNU base-256 when the high bit of the first byte is set. */
function parseNumber(field: Buffer, file: string): number {
  if ((field[0] ?? 0) & 0x80) {
    // 0xff starts a negative (two's complement) base-256 number: no size is negative.
    if ((field[0] ?? 0) & 0x40) throw new ImgsealError('MANIFEST_INVALID', `${file}: negative size in a tar header`);
    let n = (field[0] ?? 0) & 0x7f;
    for (let i = 1; i < field.length; i++) n = n * 256 + (field[i] ?? 0);
    if (!Number.isSafeInteger(n)) throw new ImgsealError('MANIFEST_INVALID', `${file}: tar entry size too large`);
    return n;
  }
  const s = field.toString('latin1').replace(/[\0 ]+$/, '').trim();
  if (s === '') return 0;
  if (!/^[0-7]+$/.test(s)) throw new ImgsealError('MANIFEST_INVALID', `${file}: invalid number "${s}" in tar header`);
  return parseInt(s, 8);
}

function checksumOk(block: Buffer): boolean {
  let sum = 0;
  for (let i = 0; i < BLOCK; i++) sum += i >= 148 && i < 156 ? 0x20 : (block[i] ?? 0);
  const s = block.subarray(148, 156).toString('latin1').replace(/[\0 ]+/g, '');
  return /^[0-7]+$/.test(s) && parseInt(s, 8) === sum;
}

/** pax records: "<len> <key>=<value>\n", len counting the whole record. */
function parsePax(data: Buffer, file: string): Record<string, string> {
  const out: Record<string, string> = {};
  let i = 0;
  while (i < data.length) {
    if (data[i] === 0) break;
    const sp = data.indexOf(0x20, i);
    const digits = sp === -1 ? '' : data.subarray(i, sp).toString('latin1');
    const len = /^[0-9]{1,9}$/.test(digits) ? Number(digits) : NaN;
    // "<len> <key>=<value>\n": the length covers the whole record, which ends in a newline.
    if (!Number.isSafeInteger(len) || sp + 1 >= i + len || i + len > data.length || data[i + len - 1] !== 0x0a) {
      throw new ImgsealError('MANIFEST_INVALID', `${file}: corrupt pax header`);
    }
    const rec = data.subarray(sp + 1, i + len - 1).toString('utf8');
    const eq = rec.indexOf('=');
    if (eq > 0) out[rec.slice(0, eq)] = rec.slice(eq + 1);
    i += len;
  }
  return out;
}

function truncated(file: string): ImgsealError {
  return new ImgsealError('MANIFEST_INVALID', `${file}: tar archive is truncated`);
}
