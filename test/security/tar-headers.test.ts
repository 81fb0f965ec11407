// Issue 12, defect 6: every number in a tar header is validated (non-negative, bounded,
// consistent with the file); a hostile header fails in one line instead of moving the
// header position backwards forever. The header scan also stops on abort.
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, test } from 'node:test';
import { isImgsealError } from '../../src/errors.js';
import { indexTar } from '../../src/transports/archive/tar-index.js';
import { errorLines, runCli } from '../testkit/cli.js';

let tmp: string;
before(() => {
  tmp = mkdtempSync(join(tmpdir(), 'imgseal-tarhdr-'));
});
after(() => rmSync(tmp, { recursive: true, force: true }));

let counter = 0;
function fresh(name: string): string {
  return join(tmp, `${name}-${counter++}`);
}

/** One ustar header block; `size` is written as given into the 12-byte size field. */
function header(name: string, typeflag: string, size: Buffer | string): Buffer {
  const b = Buffer.alloc(512);
  b.write(name, 0, 'latin1');
  b.write('0000644\0', 100, 'latin1');
  b.write('0000000\0', 108, 'latin1');
  b.write('0000000\0', 116, 'latin1');
  if (typeof size === 'string') b.write(size, 124, 'latin1');
  else size.copy(b, 124);
  b.write('00000000000\0', 136, 'latin1');
  b.write(typeflag, 156, 'latin1');
  b.write('ustar\x0000', 257, 'latin1');
  b.fill(0x20, 148, 156);
  let sum = 0;
  for (const x of b) sum += x;
  b.write(`${sum.toString(8).padStart(6, '0')}\0 `, 148, 'latin1');
  return b;
}

function octal(n: number): string {
  return `${n.toString(8).padStart(11, '0')}\0`;
}

function padded(data: Buffer): Buffer {
  return Buffer.concat([data, Buffer.alloc((512 - (data.length % 512)) % 512)]);
}

/** A pax 'x' header carrying `records`, then a regular file header and 1 KiB of data, then the end blocks. */
function paxTar(records: string): Buffer {
  const pax = Buffer.from(records, 'utf8');
  return Buffer.concat([header('PaxHeaders/index.json', 'x', octal(pax.length)), padded(pax), header('index.json', '0', octal(0)), Buffer.alloc(1024), Buffer.alloc(1024)]);
}

function paxRecord(key: string, value: string): string {
  const body = ` ${key}=${value}\n`;
  let len = body.length + 1;
  while (`${len}${body}`.length !== len) len++;
  return `${len}${body}`;
}

const BAD: [string, () => Buffer, RegExp][] = [
  ['a negative pax size', () => paxTar(paxRecord('size', '-1024')), /invalid size "-1024" in a pax header/],
  ['a pax size that is not a number', () => paxTar(paxRecord('size', '12abc')), /invalid size "12abc" in a pax header/],
  ['a pax size in hex', () => paxTar(paxRecord('size', '0x10')), /invalid size "0x10" in a pax header/],
  ['a pax size beyond the file', () => paxTar(paxRecord('size', String(1 << 30))), /truncated/],
  ['a pax size beyond 2^53', () => paxTar(paxRecord('size', '99999999999999999999')), /invalid size "99999999999999999999" in a pax header/],
  ['a pax record length that is not a number', () => paxTar('1e1 size=1\n'), /corrupt pax header/],
  ['a pax record length shorter than its key', () => paxTar('3 size=100\n'), /corrupt pax header/],
  [
    'a negative GNU base-256 size',
    () => Buffer.concat([header('index.json', '0', Buffer.from([0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xfc, 0x00])), Buffer.alloc(2048)]),
    /negative size/,
  ],
  ['an octal size beyond the file', () => Buffer.concat([header('index.json', '0', octal(1 << 20)), Buffer.alloc(1024)]), /truncated/],
  ['an octal size with a sign', () => Buffer.concat([header('index.json', '0', '-0000001000\0'), Buffer.alloc(1024)]), /invalid number/],
];

describe('hostile tar headers fail in one line, quickly', () => {
  for (const [name, make, message] of BAD) {
    test(`library: ${name}`, async () => {
      const file = fresh('bad.tar');
      writeFileSync(file, make());
      await assert.rejects(indexTar(file), (e: unknown) => isImgsealError(e, 'MANIFEST_INVALID') && message.test(e.message) && e.message.includes(file));
    });
  }

  for (const transport of ['oci-archive', 'docker-archive']) {
    test(`CLI inspect ${transport}: a negative pax size exits 1 in one line within seconds`, async () => {
      const file = fresh('neg.tar');
      writeFileSync(file, paxTar(paxRecord('size', '-1024')));
      const started = Date.now();
      const r = await runCli(['inspect', `${transport}:${file}`], { timeoutMs: 20_000 });
      assert.equal(r.code, 1, `exit 1 (null = killed by the timeout); stderr: ${r.stderr}`);
      const lines = errorLines(r.stderr);
      assert.equal(lines.length, 1, r.stderr);
      assert.match(lines[0]!, /invalid size "-1024" in a pax header/);
      assert.ok(Date.now() - started < 15_000);
    });
  }

  test('a well-formed pax size is honoured (the checks refuse only bad numbers)', async () => {
    const file = fresh('good.tar');
    const data = Buffer.alloc(700, 0x61);
    const pax = Buffer.from(paxRecord('size', '700'));
    writeFileSync(file, Buffer.concat([header('PaxHeaders/f', 'x', octal(pax.length)), padded(pax), header('f', '0', octal(0)), padded(data), Buffer.alloc(1024)]));
    const index = await indexTar(file);
    assert.equal(index.find('f')?.size, 700);
  });
});

test('the header scan stops when aborted', async () => {
  // Many small entries: a scan that checks the signal stops long before the end.
  const parts: Buffer[] = [];
  for (let i = 0; i < 20_000; i++) parts.push(header(`f${i}`, '0', octal(0)));
  parts.push(Buffer.alloc(1024));
  const file = fresh('many.tar');
  writeFileSync(file, Buffer.concat(parts));
  const ac = new AbortController();
  const scan = indexTar(file, { signal: ac.signal });
  setImmediate(() => ac.abort());
  await assert.rejects(scan, (e: unknown) => isImgsealError(e, 'ABORTED'));
  const already = new AbortController();
  already.abort();
  await assert.rejects(indexTar(file, { signal: already.signal }), (e: unknown) => isImgsealError(e, 'ABORTED'));
  assert.equal((await indexTar(file)).names().length, 20_000, 'without a signal the same archive indexes fully');
});
