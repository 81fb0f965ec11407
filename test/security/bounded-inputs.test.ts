// Issue 12, defect 4 (and the index.json part of 9): one size limit for every manifest
// and index read, one for key files, both enforced while reading; a file that is not a
// regular file (a FIFO, /dev/zero, a character device) is refused with one line at once.
import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, test } from 'node:test';
import { errorLines, FIXTURES, runCli, type CliResult } from '../testkit/cli.js';
import { buildLayout, sha256 } from '../testkit/image-builder.js';
import { blobFile, readIndexJson, snapshotTree } from '../testkit/image-reader.js';
import { KEY_FILE_SIZE_LIMIT, MANIFEST_SIZE_LIMIT } from '../../src/util/limits.js';
import { BoundedReadError, readBoundedFile } from '../../src/util/bounded-file.js';

const KEY = join(FIXTURES, 'jwe-rsa2048', 'keys', 'rsa1_priv.pem');
const ENC = `oci:${join(FIXTURES, 'jwe-rsa2048', 'image')}:enc`;
const PLAIN = `oci:${join(FIXTURES, 'plain-base', 'image')}:base`;

let tmp: string;
before(() => {
  tmp = mkdtempSync(join(tmpdir(), 'imgseal-bounded-'));
});
after(() => rmSync(tmp, { recursive: true, force: true }));

let counter = 0;
function fresh(name: string): string {
  return join(tmp, `${name}-${counter++}`);
}

function fifo(): string {
  const p = fresh('fifo');
  execFileSync('mkfifo', [p]);
  return p;
}

/** Fails, in one line matching `message`, within `ms` (a read without end takes far longer). */
async function failsFast(args: string[], message: RegExp, opts: { code?: number; ms?: number } = {}): Promise<CliResult> {
  const started = Date.now();
  const r = await runCli(args, { timeoutMs: 30_000 });
  const took = Date.now() - started;
  assert.equal(r.code, opts.code ?? 1, `exit code; stderr: ${r.stderr}`);
  const lines = errorLines(r.stderr);
  assert.equal(lines.length, 1, `one error line: ${r.stderr}`);
  assert.match(lines[0]!, message);
  assert.ok(took < (opts.ms ?? 10_000), `failed after ${took} ms`);
  assert.equal(r.stdout, '');
  return r;
}

describe('key files', () => {
  for (const [name, path] of [['/dev/zero', () => '/dev/zero'], ['a FIFO', fifo]] as const) {
    test(`--decryption-key ${name} is refused at once`, async () => {
      const p = path();
      const dest = fresh('out');
      await failsFast(['decrypt', '-q', '--decryption-key', p, ENC, `oci:${dest}:x`], new RegExp(`Unable to read file: ${p}: not a regular file`));
      assert.equal(snapshotTree(dest), undefined);
    });

    test(`--encryption-key jwe:${name} is refused at once`, async () => {
      const p = path();
      const dest = fresh('out');
      await failsFast(['encrypt', '-q', '--encryption-key', `jwe:${p}`, PLAIN, `oci:${dest}:x`], new RegExp(`Unable to read file: ${p}: not a regular file`), { code: 2 });
      assert.equal(snapshotTree(dest), undefined);
    });
  }

  test('a password file=/dev/zero is refused at once', async () => {
    await failsFast(['decrypt', '-q', '--decryption-key', `${KEY}:file=/dev/zero`, ENC, `oci:${fresh('out')}:x`], /Unable to read file: \/dev\/zero: not a regular file/);
  });

  test('a key file over the limit is refused without being parsed', async () => {
    const big = fresh('big.pem');
    writeFileSync(big, Buffer.alloc(KEY_FILE_SIZE_LIMIT + 1, 0x41));
    await failsFast(['decrypt', '-q', '--decryption-key', big, ENC, `oci:${fresh('out')}:x`], new RegExp(`Unable to read file: ${big}: larger than the ${KEY_FILE_SIZE_LIMIT} bytes allowed`));
  });
});

describe('manifests and indexes', () => {
  test('an oci: index.json over the limit is refused, naming the file', async () => {
    const dir = fresh('layout');
    await buildLayout(dir, [{ files: { 'a.txt': 'a\n' }, compression: 'gzip' }], { ref: 'v1' });
    const index = readIndexJson(dir);
    writeFileSync(join(dir, 'index.json'), JSON.stringify(index) + ' '.repeat(MANIFEST_SIZE_LIMIT));
    for (const args of [['inspect'], ['layerinfo'], ['copy', '-q']]) {
      await failsFast([...args, `oci:${dir}:v1`, ...(args[0] === 'copy' ? [`oci:${fresh('out')}:x`] : [])], new RegExp(`${join(dir, 'index.json')}: larger than the ${MANIFEST_SIZE_LIMIT} bytes allowed`));
    }
  });

  test('an oci: index.json that is a FIFO is refused at once', async () => {
    const dir = fresh('layout');
    await buildLayout(dir, [{ files: { 'a.txt': 'a\n' }, compression: 'gzip' }], { ref: 'v1' });
    rmSync(join(dir, 'index.json'));
    execFileSync('mkfifo', [join(dir, 'index.json')]);
    await failsFast(['inspect', `oci:${dir}:v1`], /index\.json: not a regular file \(a FIFO\)/);
  });

  test('an oci: manifest blob over the limit is refused (its digest is right)', async () => {
    const dir = fresh('layout');
    const img = await buildLayout(dir, [{ files: { 'a.txt': 'a\n' }, compression: 'gzip' }], { ref: 'v1' });
    const padded = Buffer.concat([img.manifestBytes, Buffer.alloc(MANIFEST_SIZE_LIMIT, 0x20)]);
    writeFileSync(blobFile(dir, sha256(padded)), padded);
    const index = readIndexJson(dir);
    index.manifests[0]!.digest = sha256(padded);
    index.manifests[0]!.size = padded.length;
    writeFileSync(join(dir, 'index.json'), JSON.stringify(index));
    await failsFast(['inspect', '--raw', `oci:${dir}:v1`], new RegExp(`manifest ${sha256(padded)}: larger than the ${MANIFEST_SIZE_LIMIT} bytes allowed`));
    await failsFast(['copy', '-q', `oci:${dir}:v1`, `oci:${fresh('out')}:x`], /larger than the \d+ bytes allowed/);
  });

  test('an oci: layer blob that is a FIFO is refused at once, small or large', async () => {
    for (const big of [false, true]) {
      const dir = fresh('layout');
      const files = { 'a.txt': big ? 'x'.repeat(3 << 20) : 'a\n' };
      const img = await buildLayout(dir, [{ files, compression: 'none' }], { ref: 'v1' });
      const blob = blobFile(dir, img.layers[0]!.desc.digest);
      rmSync(blob);
      execFileSync('mkfifo', [blob]);
      const dest = fresh('out');
      await failsFast(['copy', '-q', `oci:${dir}:v1`, `oci:${dest}:x`], new RegExp(`blob ${img.layers[0]!.desc.digest}.*not a regular file`));
      assert.equal(snapshotTree(dest), undefined);
    }
  });

  test('a dir: manifest.json over the limit is refused', async () => {
    const src = fresh('layout');
    await buildLayout(src, [{ files: { 'a.txt': 'a\n' }, compression: 'gzip' }], { ref: 'v1' });
    const d = fresh('dir');
    const ok = await runCli(['copy', '-q', `oci:${src}:v1`, `dir:${d}`]);
    assert.equal(ok.code, 0, ok.stderr);
    writeFileSync(join(d, 'manifest.json'), '{' + ' '.repeat(MANIFEST_SIZE_LIMIT) + '}');
    await failsFast(['inspect', `dir:${d}`], /manifest\.json: larger than the \d+ bytes allowed/);
  });

  test('a broken index.json names the file (defect 9)', async () => {
    const dir = fresh('layout');
    mkdirSync(dir);
    writeFileSync(join(dir, 'oci-layout'), '{"imageLayoutVersion": "1.0.0"}');
    writeFileSync(join(dir, 'index.json'), '{"schemaVersion": 2, "manifests": [');
    await failsFast(['inspect', `oci:${dir}`], new RegExp(`${join(dir, 'index.json')} is not valid JSON`));
    writeFileSync(join(dir, 'index.json'), '{"schemaVersion": 2, "manifests": [{"digest": "nope"}]}');
    await failsFast(['inspect', `oci:${dir}`], new RegExp(`${join(dir, 'index.json')}: index manifests\\[0\\]`));
  });
});

describe('readBoundedFile', () => {
  test('reads a regular file whole, refuses one byte more than the limit, follows links unless told not to', async () => {
    const p = fresh('f');
    writeFileSync(p, 'x'.repeat(100));
    assert.equal((await readBoundedFile(p, 100)).length, 100);
    await assert.rejects(readBoundedFile(p, 99), (e: unknown) => e instanceof BoundedReadError && e.failure.kind === 'too-large');
    const link = fresh('link');
    execFileSync('ln', ['-s', p, link]);
    assert.equal((await readBoundedFile(link, 100)).length, 100);
    await assert.rejects(readBoundedFile(link, 100, { noFollow: true }), (e: unknown) => e instanceof BoundedReadError && e.failure.kind === 'not-regular');
    await assert.rejects(readBoundedFile(fresh('none'), 100), (e: unknown) => e instanceof BoundedReadError && e.failure.kind === 'missing');
    await assert.rejects(readBoundedFile('/dev/zero', 1 << 30), (e: unknown) => e instanceof BoundedReadError && e.failure.kind === 'not-regular');
  });
});
