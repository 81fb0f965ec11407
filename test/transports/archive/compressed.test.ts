/**
 * Compressed archives (`docker save | gzip`, zstd) are read as containers/image reads
 * them: decompressed into a private temporary copy ($TMPDIR, else /var/tmp) that is
 * removed when the source closes, or at once when opening fails. xz and bzip2 are
 * refused with one clear line.
 */
import assert from 'node:assert/strict';
import { randomBytes } from 'node:crypto';
import { mkdir, readdir, readFile, stat, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { test, type TestContext } from 'node:test';
import { gzipSync } from 'node:zlib';
import { isImgsealError } from '../../../src/errors.js';
import { sha256Digest } from '../../../src/model/digest.js';
import { parseDockerArchiveReference, parseOciArchiveReference } from '../../../src/transports/archive/index.js';
import type { ImageSource } from '../../../src/transports/types.js';
import { runCli } from '../../testkit/cli.js';
import { requireTool } from '../../testkit/tools.js';
import { PLAIN_TWO_LAYER, collect, needSkopeo, readLayout, sh, skopeo, tempDir } from './helpers.js';

const ctx = {};

/** Points $TMPDIR (where the temporary copies go) at an empty folder for the test. */
async function spillDir(t: TestContext, base: string): Promise<string> {
  const spill = join(base, 'spill');
  await mkdir(spill);
  const before = process.env.TMPDIR;
  process.env.TMPDIR = spill;
  t.after(() => {
    if (before === undefined) delete process.env.TMPDIR;
    else process.env.TMPDIR = before;
  });
  return spill;
}

async function assertSameImage(src: ImageSource, expected: ImageSource): Promise<void> {
  const m = await src.getManifest();
  const e = await expected.getManifest();
  assert.equal(m.digest, e.digest);
  const manifest = JSON.parse(m.bytes.toString()) as { config: { digest: string; size: number; mediaType: string }; layers: { digest: string; size: number; mediaType: string }[] };
  for (const d of [manifest.config, ...manifest.layers]) {
    const desc = { ...d, digest: d.digest as `sha256:${string}` };
    const bytes = await collect(await src.getBlob(desc));
    assert.equal(sha256Digest(bytes), d.digest);
    assert.deepEqual(bytes, await collect(await expected.getBlob(desc)));
  }
}

test('gzip- and zstd-compressed docker-archive and oci-archive files read like plain ones; the temporary copy is private and removed', async (t) => {
  if (!(await needSkopeo(t)) || !requireTool('zstd', t)) return;
  const dir = await tempDir(t);
  const spill = await spillDir(t, dir);
  const plain = { docker: join(dir, 'd.tar'), oci: join(dir, 'o.tar') };
  await skopeo(dir, 'copy', '-q', `oci:${PLAIN_TWO_LAYER}:base`, `docker-archive:${plain.docker}:foo/bar:v1`);
  await skopeo(dir, 'copy', '-q', `oci:${PLAIN_TWO_LAYER}:base`, `oci-archive:${plain.oci}:v1`);
  const parse = { docker: parseDockerArchiveReference, oci: parseOciArchiveReference };

  for (const kind of ['docker', 'oci'] as const) {
    const gz = `${plain[kind]}.gz`;
    await writeFile(gz, gzipSync(await readFile(plain[kind])));
    await sh('zstd', ['-q', '-k', plain[kind], '-o', `${plain[kind]}.zst`]);
    for (const file of [gz, `${plain[kind]}.zst`]) {
      const expected = await parse[kind](plain[kind]).newImageSource(ctx);
      const src = await parse[kind](file).newImageSource(ctx);
      try {
        const copies = await readdir(spill);
        assert.equal(copies.length, 1, `one temporary copy for ${file}`);
        assert.equal((await stat(join(spill, copies[0]!))).mode & 0o777, 0o700);
        assert.equal((await stat(join(spill, copies[0]!, 'archive.tar'))).mode & 0o777, 0o600);
        await assertSameImage(src, expected);
      } finally {
        await src.close();
        await expected.close();
      }
      assert.deepEqual(await readdir(spill), [], `the copy of ${file} is removed at close`);
    }
  }

  // Through the CLI, as a user would: `docker save | gzip` in, an OCI layout out, the
  // same image as from the uncompressed archive.
  for (const [name, file] of [['gz', `${plain.docker}.gz`], ['plain', plain.docker]] as const) {
    const r = await runCli(['copy', '-q', `docker-archive:${file}`, `oci:${join(dir, name)}:x`], { env: { TMPDIR: spill } });
    assert.equal(r.code, 0, r.stderr);
  }
  const [fromGz, fromPlain] = [await readLayout(join(dir, 'gz')), await readLayout(join(dir, 'plain'))];
  assert.equal(fromGz.manifestDigest, fromPlain.manifestDigest);
  assert.equal(fromGz.layers.length, 2);
  assert.deepEqual(await readdir(spill), []);
});

test('xz, bzip2, corrupt and non-tar compressed archives fail with one clear line and leave no temporary copy', async (t) => {
  const dir = await tempDir(t);
  const spill = await spillDir(t, dir);
  const cases: [string, Buffer, string, RegExp][] = [
    ['a.tar.xz', Buffer.from([0xfd, 0x37, 0x7a, 0x58, 0x5a, 0x00, 1, 2, 3]), 'UNSUPPORTED_MEDIA_TYPE', /is xz-compressed; imgseal reads tar, gzip and zstd archives/],
    ['a.tar.bz2', Buffer.from('BZh91AY&SY-rest'), 'UNSUPPORTED_MEDIA_TYPE', /is bzip2-compressed/],
    ['cut.tar.gz', gzipSync(randomBytes(64 << 10)).subarray(0, 1000), 'MANIFEST_INVALID', /gzip data is corrupt or truncated/],
    ['text.gz', gzipSync(Buffer.from('hello, not a tar\n'.repeat(100))), 'MANIFEST_INVALID', /is not a tar archive/],
  ];
  for (const [name, bytes, code, message] of cases) {
    const file = join(dir, name);
    await writeFile(file, bytes);
    for (const parse of [parseDockerArchiveReference, parseOciArchiveReference]) {
      await assert.rejects(parse(file).newImageSource(ctx), (e) => {
        assert.ok(isImgsealError(e, code as 'MANIFEST_INVALID'), `${name}: ${String(e)}`);
        assert.match(e.message, message);
        assert.ok(e.message.includes(file), 'names the archive');
        return true;
      });
      assert.deepEqual(await readdir(spill), [], `${name}: nothing left in $TMPDIR`);
    }
  }
});
