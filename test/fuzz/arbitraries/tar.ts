/**
 * Tar archives built header by header (ustar, pax 'x'/'g', GNU 'L'/'K', base-256
 * sizes), then damaged where parsers go wrong: numeric fields replaced by other
 * octal, signs, spaces, base-256 bytes or garbage, pax records with lying lengths and
 * negative or huge sizes, checksums left stale, the archive cut short or padded.
 * Most cases keep valid checksums, so the damage reaches the parser's later checks.
 */
import fc from 'fast-check';
import { gzipSync } from 'node:zlib';

const BLOCK = 512;

export interface TarEntrySpec {
  name: string;
  typeflag: string;
  data: Uint8Array;
  linkname: string;
  /** Raw bytes for the 12-byte size field (else the data length in octal). */
  sizeField: Uint8Array | null;
  /** pax records put in an 'x' header before this entry. */
  pax: { key: string; value: string; lengthDelta: number }[] | null;
  /** A GNU long-name ('L') header before this entry. */
  gnuLongName: string | null;
  ustarPrefix: string | null;
  breakChecksum: boolean;
}

function field(buf: Buffer, offset: number, length: number, value: string | Uint8Array): void {
  const b = typeof value === 'string' ? Buffer.from(value, 'utf8') : Buffer.from(value);
  b.copy(buf, offset, 0, Math.min(b.length, length));
}

function octal(n: number, length: number): string {
  return `${n.toString(8).padStart(length - 1, '0')}\0`;
}

function header(o: { name: string; typeflag: string; size: number; sizeField?: Uint8Array | null; linkname?: string; prefix?: string | null; breakChecksum?: boolean }): Buffer {
  const h = Buffer.alloc(BLOCK);
  field(h, 0, 100, o.name);
  field(h, 100, 8, '0000644\0');
  field(h, 108, 8, '0000000\0');
  field(h, 116, 8, '0000000\0');
  field(h, 124, 12, o.sizeField ?? octal(o.size, 12));
  field(h, 136, 12, octal(0, 12));
  field(h, 156, 1, o.typeflag);
  field(h, 157, 100, o.linkname ?? '');
  field(h, 257, 6, 'ustar\0');
  field(h, 263, 2, '00');
  if (o.prefix) field(h, 345, 155, o.prefix);
  h.fill(0x20, 148, 156);
  let sum = 0;
  for (const b of h) sum += b;
  field(h, 148, 8, `${sum.toString(8).padStart(6, '0')}\0 `);
  if (o.breakChecksum) h[148] = 0x39; // not an octal digit
  return h;
}

function padded(data: Uint8Array): Buffer {
  const pad = (BLOCK - (data.length % BLOCK)) % BLOCK;
  return Buffer.concat([Buffer.from(data), Buffer.alloc(pad)]);
}

function paxRecords(records: { key: string; value: string; lengthDelta: number }[]): Buffer {
  return Buffer.concat(
    records.map(({ key, value, lengthDelta }) => {
      const body = ` ${key}=${value}\n`;
      // The length counts its own digits: find the fixed point, then lie by lengthDelta.
      let len = Buffer.byteLength(body) + 1;
      while (String(len).length + Buffer.byteLength(body) !== len) len = String(len).length + Buffer.byteLength(body);
      return Buffer.from(`${len + lengthDelta}${body}`, 'utf8');
    }),
  );
}

export function buildTar(entries: TarEntrySpec[], tail: { endBlocks: number; cutAt: number | null; garbage: Uint8Array }): Buffer {
  const parts: Buffer[] = [];
  for (const e of entries) {
    if (e.pax) {
      const body = paxRecords(e.pax);
      parts.push(header({ name: 'PaxHeaders/x', typeflag: 'x', size: body.length }), padded(body));
    }
    if (e.gnuLongName !== null) {
      const body = Buffer.from(`${e.gnuLongName}\0`, 'utf8');
      parts.push(header({ name: '././@LongLink', typeflag: 'L', size: body.length }), padded(body));
    }
    parts.push(header({ name: e.name, typeflag: e.typeflag, size: e.data.length, sizeField: e.sizeField, linkname: e.linkname, prefix: e.ustarPrefix, breakChecksum: e.breakChecksum }));
    parts.push(padded(e.data));
  }
  parts.push(Buffer.alloc(BLOCK * tail.endBlocks), Buffer.from(tail.garbage));
  const all = Buffer.concat(parts);
  return tail.cutAt === null ? all : all.subarray(0, tail.cutAt % (all.length + 1));
}

const numberText = fc.oneof(
  fc.nat({ max: 4096 }).map((n) => n.toString(8)),
  fc.constantFrom('-1', '-512', '-0', '0', ' ', '', '77777777777', '777777777777', '99', '1e3', '0x10', ' 12 ', '12\0 3', '\0\0\0', 'NaN', '+5'),
  fc.string({ unit: 'binary', maxLength: 12 }),
);

const sizeField: fc.Arbitrary<Uint8Array> = fc.oneof(
  numberText.map((s) => Buffer.from(`${s}\0`, 'latin1')),
  // GNU base-256: high bit set, then big-endian bytes (maybe beyond 2^53).
  fc.uint8Array({ minLength: 11, maxLength: 11 }).map((rest) => Buffer.from([0x80, ...rest])),
  fc.tuple(fc.integer({ min: 0, max: 0x7f }), fc.uint8Array({ minLength: 11, maxLength: 11 })).map(([h, rest]) => Buffer.from([0x80 | h, ...rest])),
  fc.constant(Buffer.from([0xff, ...new Array<number>(11).fill(0xff)])),
);

const paxValueForKey = (key: string): fc.Arbitrary<string> =>
  key === 'size' ? fc.oneof(numberText, fc.constantFrom('-1', '-513', '-1048576', '1e400', '9007199254740993', '99999999999999999999', '5.5', '0.000001', 'Infinity')) : fc.oneof(fc.string({ maxLength: 40 }), fc.constantFrom('../etc/passwd', '/abs', 'a/../../b', 'manifest.json', 'index.json', ''));

const paxRecord = fc
  .constantFrom('path', 'linkpath', 'size', 'mtime', 'uid', 'comment', 'GNU.sparse.size', '', '=')
  .chain((key) => fc.record({ key: fc.constant(key), value: paxValueForKey(key), lengthDelta: fc.oneof({ weight: 6, arbitrary: fc.constant(0) }, { weight: 1, arbitrary: fc.integer({ min: -30, max: 30 }) }) }));

const NAMES = ['manifest.json', 'index.json', 'oci-layout', 'repositories', 'blobs/sha256/aa', 'a/layer.tar', 'link', './manifest.json', 'dir/'];

const entry: fc.Arbitrary<TarEntrySpec> = fc.record({
  name: fc.oneof(fc.constantFrom(...NAMES), fc.string({ unit: 'binary', maxLength: 110 })),
  typeflag: fc.constantFrom('0', '0', '0', '\0', '1', '2', '5', '7', 'x', 'g', 'L', 'K', 'S', 'V', '3', 'Z'),
  data: fc.oneof(fc.uint8Array({ maxLength: 1200 }), fc.constantFrom(new Uint8Array(0), Buffer.from('{"imageLayoutVersion":"1.0.0"}')), fc.string({ maxLength: 200 }).map((s) => Buffer.from(s))),
  linkname: fc.oneof(fc.constantFrom('', 'manifest.json', 'link', '../x', '/etc/passwd', 'a/layer.tar'), fc.string({ maxLength: 20 })),
  sizeField: fc.option(sizeField, { freq: 4 }),
  pax: fc.option(fc.array(paxRecord, { minLength: 1, maxLength: 4 }), { freq: 3 }),
  gnuLongName: fc.option(fc.oneof(fc.constantFrom(...NAMES), fc.string({ maxLength: 300 })), { freq: 8 }),
  ustarPrefix: fc.option(fc.string({ maxLength: 155 }), { freq: 8 }),
  breakChecksum: fc.oneof({ weight: 20, arbitrary: fc.constant(false) }, { weight: 1, arbitrary: fc.constant(true) }),
});

export interface TarCase {
  bytes: Buffer;
  /** Names to look up (with find, then read) after indexing. */
  lookups: string[];
}

/** A tar (sometimes gzip-compressed, sometimes its gzip cut short) plus names to look up in it. */
export const tarCase: fc.Arbitrary<TarCase> = fc
  .record({
    entries: fc.array(entry, { minLength: 0, maxLength: 6 }),
    endBlocks: fc.constantFrom(0, 1, 2, 2, 2, 3),
    cutAt: fc.option(fc.nat(), { freq: 6 }),
    garbage: fc.oneof({ weight: 8, arbitrary: fc.constant(new Uint8Array(0)) }, { weight: 1, arbitrary: fc.uint8Array({ minLength: 1, maxLength: 700 }) }),
    compress: fc.constantFrom('none', 'none', 'none', 'none', 'gzip', 'gzip-cut'),
    lookups: fc.array(fc.oneof(fc.constantFrom(...NAMES), fc.string({ maxLength: 12 })), { maxLength: 3 }),
  })
  .map(({ entries, endBlocks, cutAt, garbage, compress, lookups }) => {
    const tar = buildTar(entries, { endBlocks, cutAt, garbage });
    let bytes = tar;
    if (compress !== 'none') {
      const gz = gzipSync(tar);
      bytes = compress === 'gzip' ? gz : gz.subarray(0, Math.max(2, gz.length >> 1));
    }
    return { bytes, lookups: [...lookups, ...entries.map((e) => e.name)] };
  });
