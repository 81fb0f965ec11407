// The skopeo-made pgp and multi-scheme vectors decrypt through the CLI with the
// OpenPGP secret key alone (binary and armored) to the files expected.json names; a
// corrupt pgp entry gives one line and writes nothing.
import assert from 'node:assert/strict';
import { cpSync, existsSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, test } from 'node:test';
import { FIXTURES, runCli } from '../testkit/cli.js';
import { readImage } from '../testkit/image-reader.js';

const tmp = mkdtempSync(join(tmpdir(), 'imgseal-pgp-vectors-'));
after(() => rmSync(tmp, { recursive: true, force: true }));
let n = 0;

function expectedFiles(kase: string): Record<string, string> {
  const exp = JSON.parse(readFileSync(join(FIXTURES, kase, 'expected.json'), 'utf8')) as { layers: { files: Record<string, string> }[] };
  return Object.assign({}, ...exp.layers.map((l) => l.files)) as Record<string, string>;
}

for (const kase of ['pgp', 'multi-scheme']) {
  // multi-scheme ships only the binary key.
  for (const key of ['pgp_secring.gpg', 'pgp_secring_armored_IGNORED.asc'].filter((k) => existsSync(join(FIXTURES, kase, 'keys', k)))) {
    const keyFile = join(FIXTURES, kase, 'keys', key);
    test(`vector ${kase} decrypts with ${key}`, async () => {
      const out = join(tmp, `out-${n++}`);
      const res = await runCli(['decrypt', '-q', '--decryption-key', keyFile, `oci:${join(FIXTURES, kase, 'image')}:enc`, `oci:${out}:plain`]);
      assert.equal(res.code, 0, res.stderr);
      assert.deepEqual((await readImage(out, 'plain')).files, expectedFiles(kase));
    });
  }
}

test('a corrupt pgp entry → one line naming OpenPGP, nothing written', async () => {
  const img = join(tmp, 'corrupt');
  cpSync(join(FIXTURES, 'pgp', 'image'), img, { recursive: true });
  // Rewrite the manifest with a pgp entry whose encrypted data is cut short, and point the index at it.
  const index = JSON.parse(readFileSync(join(img, 'index.json'), 'utf8'));
  const desc = index.manifests.find((d: { annotations?: Record<string, string> }) => d.annotations?.['org.opencontainers.image.ref.name'] === 'enc');
  const manifest = JSON.parse(readFileSync(join(img, 'blobs/sha256', desc.digest.slice(7)), 'utf8'));
  const ann = manifest.layers[0].annotations;
  const entry = Buffer.from(ann['org.opencontainers.image.enc.keys.pgp'], 'base64');
  ann['org.opencontainers.image.enc.keys.pgp'] = entry.subarray(0, entry.length - 40).toString('base64');
  const bytes = Buffer.from(JSON.stringify(manifest));
  const { createHash } = await import('node:crypto');
  const hex = createHash('sha256').update(bytes).digest('hex');
  writeFileSync(join(img, 'blobs/sha256', hex), bytes);
  desc.digest = `sha256:${hex}`;
  desc.size = bytes.length;
  writeFileSync(join(img, 'index.json'), JSON.stringify(index));
  const out = join(tmp, 'corrupt-out');
  const res = await runCli(['decrypt', '-q', '--decryption-key', join(FIXTURES, 'pgp/keys/pgp_secring.gpg'), `oci:${img}:enc`, `oci:${out}:plain`]);
  assert.equal(res.code, 1);
  const lines = res.stderr.trim().split('\n');
  assert.equal(lines.length, 1, res.stderr);
  assert.match(lines[0]!, /pgp: corrupt OpenPGP message in the key annotation/);
  assert.ok(!existsSync(out));
});
