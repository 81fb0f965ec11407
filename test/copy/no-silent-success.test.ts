// Issue 12, defect 1: when the decrypted bytes of a streamed layer fail to decompress
// during the plaintext check, the copy must fail with one line and a non-zero exit —
// never exit 0 with nothing written — and leave no staging folder behind.
// The layers here are larger than the whole-blob limit, so they stream in many chunks
// (the stall needed a decompressor that had stopped asking for more).
import assert from 'node:assert/strict';
import { randomBytes } from 'node:crypto';
import { mkdirSync, mkdtempSync, readFileSync, renameSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, test } from 'node:test';
import { errorLines, FIXTURES, runCli, type CliResult } from '../testkit/cli.js';
import { buildLayout, type Descriptor, type LayerSpec } from '../testkit/image-builder.js';
import { blobFile, listDir, readBlob, readImage, readIndexJson, REF_NAME, sha256, snapshotTree } from '../testkit/image-reader.js';

const PUB = join(FIXTURES, 'jwe-rsa2048', 'keys', 'rsa1_pub.pem');
const KEY = join(FIXTURES, 'jwe-rsa2048', 'keys', 'rsa1_priv.pem');
const PUBOPTS = 'org.opencontainers.image.enc.pubopts';

let tmp: string;
before(() => {
  tmp = mkdtempSync(join(tmpdir(), 'imgseal-silent-'));
});
after(() => rmSync(tmp, { recursive: true, force: true }));

let counter = 0;
function fresh(name: string): string {
  return join(tmp, `${name}-${counter++}`);
}

/** ~3 MiB of hex in one file: about 1.6 MiB gzipped, well above the whole-blob limit. */
function bigFile(): string {
  return randomBytes(1536 * 1024).toString('hex');
}

/** A layout with image `enc`: one large layer of `compression`, encrypted by imgseal. */
async function encryptedLayout(compression: LayerSpec['compression']): Promise<string> {
  const dir = fresh('src');
  await buildLayout(dir, [{ files: { 'big.bin': bigFile() }, compression }], { ref: 'base' });
  const r = await runCli(['encrypt', '-q', '--encryption-key', `jwe:${PUB}`, `oci:${dir}:base`, `oci:${dir}:enc`]);
  assert.equal(r.code, 0, r.stderr);
  assert.ok(layer0(dir).size > 1 << 20, 'the layer streams');
  return dir;
}

function encEntry(dir: string): Descriptor {
  return readIndexJson(dir).manifests.find((m) => m.annotations?.[REF_NAME] === 'enc')!;
}

function layer0(dir: string): Descriptor {
  return (JSON.parse(readBlob(dir, encEntry(dir).digest).toString('utf8')) as { layers: Descriptor[] }).layers[0]!;
}

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

interface Case {
  name: string;
  compression: LayerSpec['compression'];
  /** Breaks the encrypted layer of `dir`; returns the layer digest the error must name. */
  prepare(dir: string): string;
  message: RegExp;
}

const CASES: Case[] = [
  {
    name: 'flipped ciphertext byte near the start, digest fixed up',
    compression: 'gzip',
    prepare: (dir) => {
      const old = layer0(dir);
      const b = readFileSync(blobFile(dir, old.digest));
      b[3] = b[3]! ^ 0xff; // the gzip header's flags: the decompressor fails at once
      const digest = sha256(b);
      writeFileSync(blobFile(dir, old.digest), b);
      renameSync(blobFile(dir, old.digest), blobFile(dir, digest));
      editManifest(dir, (m) => {
        m.layers[0]!.digest = digest;
      });
      return digest;
    },
    message: /hmac|decompress/i,
  },
  {
    name: 'a pubopts nonce that does not belong (decrypts to garbage, HMAC still right)',
    compression: 'gzip',
    prepare: (dir) => {
      editManifest(dir, (m) => {
        const ann = m.layers[0]!.annotations!;
        const p = JSON.parse(Buffer.from(ann[PUBOPTS]!, 'base64').toString('utf8')) as { cipheroptions: Record<string, string> };
        p.cipheroptions = { nonce: Buffer.alloc(16, 9).toString('base64') };
        ann[PUBOPTS] = Buffer.from(JSON.stringify(p)).toString('base64');
      });
      return layer0(dir).digest;
    },
    message: /decompress|diff_id|digest/i,
  },
  {
    name: 'a gzip media type over a plain tar',
    compression: 'none',
    prepare: (dir) => {
      editManifest(dir, (m) => {
        m.layers[0]!.mediaType = 'application/vnd.oci.image.layer.v1.tar+gzip+encrypted';
      });
      return layer0(dir).digest;
    },
    message: /decompress/i,
  },
];

function assertFailedInOneLine(r: CliResult, layerDigest: string, message: RegExp): void {
  assert.equal(r.code, 1, `exit 1; stderr: ${r.stderr}`);
  const lines = errorLines(r.stderr);
  assert.equal(lines.length, 1, `one error line, got: ${r.stderr}`);
  assert.match(lines[0]!, message);
  assert.ok(lines[0]!.includes(layerDigest), `the error names layer ${layerDigest}: ${lines[0]}`);
  assert.equal(r.stdout, '');
}

for (const c of CASES) {
  describe(`streamed layer that does not decompress: ${c.name}`, () => {
    for (const verb of ['decrypt', 'copy']) {
      test(`${verb} to a new layout: exit 1, nothing created, no staging left`, async () => {
        const src = await encryptedLayout(c.compression);
        const digest = c.prepare(src);
        const parent = fresh('parent');
        mkdirSync(parent);
        const dest = join(parent, 'out');
        const r = await runCli([verb, '-q', '--decryption-key', KEY, `oci:${src}:enc`, `oci:${dest}:plain`]);
        assertFailedInOneLine(r, digest, c.message);
        assert.deepEqual(listDir(parent), [], 'nothing next to the destination');
      });
    }

    test('decrypt into an existing layout: unchanged, no staging folder inside', async () => {
      const src = await encryptedLayout(c.compression);
      const digest = c.prepare(src);
      const dest = fresh('existing');
      await buildLayout(dest, [{ files: { 'other.txt': 'x\n' }, compression: 'gzip' }], { ref: 'other' });
      const before = snapshotTree(dest);
      const r = await runCli(['decrypt', '-q', '--decryption-key', KEY, `oci:${src}:enc`, `oci:${dest}:plain`]);
      assertFailedInOneLine(r, digest, c.message);
      assert.deepEqual(snapshotTree(dest), before, 'destination byte-identical');
      assert.deepEqual((await readImage(dest, 'other')).files, { 'other.txt': 'x\n' });
    });
  });
}
