// Issue 3, part 3: a decryption that cannot be trusted fails with one line naming the
// layer and what failed, exits non-zero, and leaves the destination exactly as it was
// (a new destination path is never created; an existing layout keeps every byte).
import assert from 'node:assert/strict';
import { cpSync, mkdtempSync, readFileSync, renameSync, rmSync, truncateSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, test } from 'node:test';
import { errorLines, FIXTURES, runCli, type CliResult } from '../testkit/cli.js';
import { buildLayout, type Descriptor } from '../testkit/image-builder.js';
import { blobFile, listDir, readBlob, readImage, readIndexJson, REF_NAME, sha256, snapshotTree } from '../testkit/image-reader.js';

const VECTOR = 'jwe-rsa2048';
const KEY = join(FIXTURES, VECTOR, 'keys', 'rsa1_priv.pem');
const OTHER_KEY = join(FIXTURES, 'jwe-two-recipients', 'keys', 'rsa2_priv.pem');
const PUBOPTS = 'org.opencontainers.image.enc.pubopts';

let tmp: string;
before(() => {
  tmp = mkdtempSync(join(tmpdir(), 'imgseal-neg-'));
});
after(() => rmSync(tmp, { recursive: true, force: true }));

let counter = 0;
function fresh(name: string): string {
  return join(tmp, `${name}-${counter++}`);
}

/** A private copy of the skopeo-encrypted vector layout. */
function copyVector(): string {
  const dir = fresh('src');
  cpSync(join(FIXTURES, VECTOR, 'image'), dir, { recursive: true });
  return dir;
}

/** Rewrites the manifest named `enc` through `edit`, storing it and repointing index.json. */
function editManifest(dir: string, edit: (m: { layers: Descriptor[] }) => void): void {
  const index = readIndexJson(dir);
  const entry = index.manifests.find((m) => m.annotations?.[REF_NAME] === 'enc')!;
  const manifest = JSON.parse(readBlob(dir, entry.digest).toString('utf8')) as { layers: Descriptor[] };
  edit(manifest);
  const bytes = Buffer.from(JSON.stringify(manifest));
  writeFileSync(blobFile(dir, sha256(bytes)), bytes);
  entry.digest = sha256(bytes);
  entry.size = bytes.length;
  writeFileSync(join(dir, 'index.json'), JSON.stringify(index));
}

function layer0(dir: string): Descriptor {
  return readImageSync(dir).layers[0]!;
}

function readImageSync(dir: string): { layers: Descriptor[] } {
  const entry = readIndexJson(dir).manifests.find((m) => m.annotations?.[REF_NAME] === 'enc')!;
  return JSON.parse(readBlob(dir, entry.digest).toString('utf8')) as { layers: Descriptor[] };
}

function editPubopts(dir: string, edit: (p: { cipher: string; hmac: string; cipheroptions: Record<string, string> }) => void): void {
  editManifest(dir, (m) => {
    const ann = m.layers[0]!.annotations!;
    const p = JSON.parse(Buffer.from(ann[PUBOPTS]!, 'base64').toString('utf8'));
    edit(p);
    ann[PUBOPTS] = Buffer.from(JSON.stringify(p)).toString('base64');
  });
}

function flipByte(file: string, at: number): void {
  const b = readFileSync(file);
  b[at] = b[at]! ^ 0x01;
  writeFileSync(file, b);
}

interface Case {
  name: string;
  /** Prepares a broken source layout; returns the layer digest the error must name. */
  prepare(dir: string): string;
  keys: string[];
  /** What the one error line must say. */
  message: RegExp;
}


const CASES: Case[] = [
  {
    name: 'wrong key',
    prepare: (dir) => layer0(dir).digest,
    keys: [OTHER_KEY],
    message: /missing private key needed for decryption/,
  },
  {
    name: 'no key',
    prepare: (dir) => layer0(dir).digest,
    keys: [],
    message: /missing private key needed for decryption/,
  },
  {
    name: 'flipped ciphertext byte, digest fixed up in the manifest (only the HMAC can tell)',
    prepare: (dir) => {
      const old = layer0(dir);
      flipByte(blobFile(dir, old.digest), 100);
      const digest = sha256(readFileSync(blobFile(dir, old.digest)));
      renameSync(blobFile(dir, old.digest), blobFile(dir, digest));
      editManifest(dir, (m) => {
        m.layers[0]!.digest = digest;
      });
      return digest;
    },
    keys: [KEY],
    message: /hmac/i,
  },
  {
    name: 'flipped ciphertext byte, digest not fixed up',
    prepare: (dir) => {
      const d = layer0(dir).digest;
      flipByte(blobFile(dir, d), 100);
      return d;
    },
    keys: [KEY],
    message: /digest mismatch/i,
  },
  {
    name: 'pubopts with a different hmac',
    prepare: (dir) => {
      editPubopts(dir, (p) => {
        p.hmac = Buffer.alloc(32, 7).toString('base64');
      });
      return layer0(dir).digest;
    },
    keys: [KEY],
    message: /hmac/i,
  },
  {
    name: 'pubopts with a different nonce in cipheroptions (decrypts to garbage)',
    prepare: (dir) => {
      editPubopts(dir, (p) => {
        p.cipheroptions = { nonce: Buffer.alloc(16, 9).toString('base64') };
      });
      return layer0(dir).digest;
    },
    keys: [KEY],
    message: /diff_id|digest|decompress/i,
  },
  {
    name: 'layer digest edited in the manifest (no such blob)',
    prepare: (dir) => {
      const digest = `sha256:${'ab'.repeat(32)}`;
      editManifest(dir, (m) => {
        m.layers[0]!.digest = digest;
      });
      return digest;
    },
    keys: [KEY],
    message: /missing|not found/i,
  },
  {
    name: 'layer digest edited in the manifest (blob present under the new name)',
    prepare: (dir) => {
      const old = layer0(dir).digest;
      const digest = `sha256:${'cd'.repeat(32)}`;
      cpSync(blobFile(dir, old), blobFile(dir, digest));
      editManifest(dir, (m) => {
        m.layers[0]!.digest = digest;
      });
      return digest;
    },
    keys: [KEY],
    message: /digest mismatch/i,
  },
  {
    name: 'truncated blob',
    prepare: (dir) => {
      const d = layer0(dir).digest;
      truncateSync(blobFile(dir, d), 80);
      return d;
    },
    keys: [KEY],
    message: /truncated|bytes/i,
  },
];

function assertOneErrorLine(r: CliResult, layerDigest: string | undefined, message: RegExp): void {
  assert.notEqual(r.code, 0, `exit code; stderr: ${r.stderr}`);
  assert.equal(r.code, 1, `operation failures exit 1; stderr: ${r.stderr}`);
  const lines = errorLines(r.stderr);
  assert.equal(lines.length, 1, `one error line, got: ${r.stderr}`);
  const line = lines[0]!;
  assert.match(line, message);
  if (layerDigest !== undefined) assert.ok(line.includes(layerDigest), `the error names layer ${layerDigest}: ${line}`);
  assert.doesNotMatch(r.stderr, /^\s+at /m, 'no stack trace');
  assert.equal(r.stdout, '');
}

for (const c of CASES) {
  describe(`decrypt fails: ${c.name}`, () => {
    test('new destination path is not created', async () => {
      const src = copyVector();
      const digest = c.prepare(src);
      const srcBefore = snapshotTree(src);
      const parent = fresh('newdest');
      const dest = join(parent, 'out');
      const r = await runCli(['decrypt', ...c.keys.flatMap((k) => ['--decryption-key', k]), `oci:${src}:enc`, `oci:${dest}:plain`]);
      assertOneErrorLine(r, digest, c.message);
      assert.equal(snapshotTree(dest), undefined, 'destination must not exist');
      assert.deepEqual(listDir(parent), [], 'no staging folder left next to it');
      assert.deepEqual(snapshotTree(src), srcBefore, 'source unchanged');
    });

    test('existing layout with another image is unchanged', async () => {
      const src = copyVector();
      const digest = c.prepare(src);
      const dest = fresh('existing');
      await buildLayout(dest, [{ files: { 'other.txt': 'another image\n' }, compression: 'gzip' }], { ref: 'other' });
      const before = snapshotTree(dest);
      const r = await runCli(['decrypt', ...c.keys.flatMap((k) => ['--decryption-key', k]), `oci:${src}:enc`, `oci:${dest}:plain`]);
      assertOneErrorLine(r, digest, c.message);
      assert.deepEqual(snapshotTree(dest), before, 'destination byte-identical');
      assert.deepEqual((await readImage(dest, 'other')).files, { 'other.txt': 'another image\n' });
    });

  });
}

test('library: a wrong key surfaces as code NO_SUITABLE_KEY, no key as MISSING_PRIVATE_KEY', async () => {
  const { copyImage } = await import('../../src/copy/index.js');
  const { loadDecryptionKey } = await import('../../src/crypto/keys/index.js');
  const { parseImageName } = await import('../../src/transports/transports.js');
  const src = parseImageName(`oci:${join(FIXTURES, VECTOR, 'image')}:enc`);
  const dest = fresh('lib');
  await assert.rejects(copyImage(src, parseImageName(`oci:${dest}:x`), { decrypt: { keys: [await loadDecryptionKey(OTHER_KEY)] } }), { code: 'NO_SUITABLE_KEY' });
  await assert.rejects(copyImage(src, parseImageName(`oci:${dest}:x`), { decrypt: { keys: [] } }), { code: 'MISSING_PRIVATE_KEY' });
  assert.equal(snapshotTree(dest), undefined);
});

test('a tampered multi-MiB layer (plaintext flows before the HMAC verdict) leaves an existing layout unchanged', async () => {
  const { randomBytes } = await import('node:crypto');
  const src = fresh('big');
  // Random content does not compress: a ~3 MiB uncompressed layer, streamed in many chunks.
  await buildLayout(src, [{ files: { 'small.txt': 'small\n' }, compression: 'gzip' }, { files: { 'big.bin': randomBytes(1536 * 1024).toString('hex') }, compression: 'none' }], { ref: 'base' });
  const pub = join(FIXTURES, VECTOR, 'keys', 'rsa1_pub.pem');
  const enc = await runCli(['encrypt', '-q', '--encryption-key', `jwe:${pub}`, `oci:${src}:base`, `oci:${src}:enc`]);
  assert.equal(enc.code, 0, enc.stderr);
  const big = layer0Of(src, 1);
  assert.ok(big.size > 3_000_000);
  flipByte(blobFile(src, big.digest), big.size - 10);
  const digest = sha256(readFileSync(blobFile(src, big.digest)));
  renameSync(blobFile(src, big.digest), blobFile(src, digest));
  editManifest(src, (m) => {
    m.layers[1]!.digest = digest;
  });
  const dest = fresh('existing');
  await buildLayout(dest, [{ files: { 'other.txt': 'x\n' }, compression: 'gzip' }], { ref: 'other' });
  const before = snapshotTree(dest);
  const r = await runCli(['decrypt', '--decryption-key', KEY, `oci:${src}:enc`, `oci:${dest}:plain`]);
  assertOneErrorLine(r, undefined, /hmac/i);
  assert.deepEqual(snapshotTree(dest), before);
});

function layer0Of(dir: string, i: number): Descriptor {
  return readImageSync(dir).layers[i]!;
}
