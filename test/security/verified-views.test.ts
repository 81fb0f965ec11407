// Issue 12, defect 5: read-only views (inspect, inspect --raw, layerinfo) verify the
// manifest bytes against the digest they are known by before showing anything, as
// copy does; a manifest blob that is a symbolic link to a host file is refused.
import assert from 'node:assert/strict';
import { mkdtempSync, readFileSync, rmSync, symlinkSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, test } from 'node:test';
import { errorLines, runCli } from '../testkit/cli.js';
import { buildLayout, buildMultiArchLayout, sha256 } from '../testkit/image-builder.js';
import { blobFile, readIndexJson } from '../testkit/image-reader.js';

let tmp: string;
before(() => {
  tmp = mkdtempSync(join(tmpdir(), 'imgseal-views-'));
});
after(() => rmSync(tmp, { recursive: true, force: true }));

let counter = 0;
function fresh(name: string): string {
  return join(tmp, `${name}-${counter++}`);
}

const VIEWS = [['inspect'], ['inspect', '--raw'], ['inspect', '--config'], ['layerinfo']];

async function refusedByEveryView(image: string, message: RegExp, secret?: string): Promise<void> {
  for (const view of VIEWS) {
    const r = await runCli([...view, image]);
    assert.equal(r.code, 1, `${view.join(' ')}: exit 1; stderr: ${r.stderr}`);
    const lines = errorLines(r.stderr);
    assert.equal(lines.length, 1, `${view.join(' ')}: one line: ${r.stderr}`);
    assert.match(lines[0]!, message, view.join(' '));
    assert.equal(r.stdout, '', `${view.join(' ')} shows nothing`);
    if (secret) assert.ok(!r.stderr.includes(secret), 'the host file is not echoed');
  }
}

describe('oci: views verify the manifest', () => {
  test('an edited manifest blob (index.json unchanged) is refused by every view', async () => {
    const dir = fresh('layout');
    const img = await buildLayout(dir, [{ files: { 'a.txt': 'a\n' }, compression: 'gzip' }], { ref: 'v1' });
    const edited = Buffer.from(img.manifestBytes.toString('utf8').replace('"schemaVersion":2', '"schemaVersion":2,"annotations":{"x":"y"}'));
    assert.notDeepEqual(edited, img.manifestBytes);
    writeFileSync(blobFile(dir, img.manifest.digest), edited);
    await refusedByEveryView(`oci:${dir}:v1`, new RegExp(`digest mismatch.*${img.manifest.digest}|${img.manifest.digest}.*digest mismatch`));
  });

  test('an edited child manifest of an index is refused', async () => {
    const dir = fresh('multi');
    const m = await buildMultiArchLayout(dir, { ref: 'v1' });
    const child = m.images[0]!;
    writeFileSync(blobFile(dir, child.manifest.digest), Buffer.concat([child.manifestBytes, Buffer.from(' ')]));
    const r = await runCli(['inspect', '--platform', `${child.platform.os}/${child.platform.architecture}`, `oci:${dir}:v1`]);
    assert.equal(r.code, 1, r.stderr);
    assert.match(errorLines(r.stderr)[0]!, new RegExp(`manifest ${child.manifest.digest}: digest mismatch`));
    assert.equal(r.stdout, '');
  });

  test('a manifest blob that is a symlink to a host file is refused, even when the digest matches', async () => {
    const dir = fresh('layout');
    await buildLayout(dir, [{ files: { 'a.txt': 'a\n' }, compression: 'gzip' }], { ref: 'v1' });
    const host = fresh('host-secret.json');
    const secret = 'host-secret-value-1234';
    writeFileSync(host, JSON.stringify({ schemaVersion: 2, mediaType: 'application/vnd.oci.image.manifest.v1+json', config: {}, layers: [], secret }));
    const bytes = readFileSync(host);
    const digest = sha256(bytes);
    symlinkSync(host, blobFile(dir, digest));
    const index = readIndexJson(dir);
    index.manifests[0]!.digest = digest;
    index.manifests[0]!.size = bytes.length;
    writeFileSync(join(dir, 'index.json'), JSON.stringify(index));
    await refusedByEveryView(`oci:${dir}:v1`, /not a regular file \(a symbolic link\)/, secret);
  });
});

describe('dir: views', () => {
  test('manifest.json that is a symlink to a host file is refused', async () => {
    const src = fresh('layout');
    await buildLayout(src, [{ files: { 'a.txt': 'a\n' }, compression: 'gzip' }], { ref: 'v1' });
    const d = fresh('dir');
    assert.equal((await runCli(['copy', '-q', `oci:${src}:v1`, `dir:${d}`])).code, 0);
    const host = fresh('host.json');
    writeFileSync(host, readFileSync(join(d, 'manifest.json')));
    rmSync(join(d, 'manifest.json'));
    symlinkSync(host, join(d, 'manifest.json'));
    await refusedByEveryView(`dir:${d}`, /manifest\.json: not a regular file \(a symbolic link\)/);
  });
});

test('the unedited layout is shown by every view (the refusals above are about the edits)', async () => {
  const dir = fresh('layout');
  const img = await buildLayout(dir, [{ files: { 'a.txt': 'a\n' }, compression: 'gzip' }], { ref: 'v1' });
  for (const view of VIEWS) {
    const r = await runCli([...view, `oci:${dir}:v1`]);
    assert.equal(r.code, 0, `${view.join(' ')}: ${r.stderr}`);
  }
  assert.equal((await runCli(['inspect', '--raw', `oci:${dir}:v1`])).stdout, img.manifestBytes.toString('utf8'));
});
