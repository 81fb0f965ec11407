// Images and snapshot checks shared by the containerd tests (1.6 and 2.x): skopeo makes
// the encrypted images, as a user's build would.
import assert from 'node:assert/strict';
import { cpSync, readdirSync, readFileSync, statSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { FIXTURES, runCli } from '../testkit/cli.js';
import { criPull, snapshotPath, type ContainerdPeer } from '../testkit/containerd.js';
import { buildLayout } from '../testkit/image-builder.js';
import { skopeo } from '../testkit/tools.js';
import { sha256 } from '../node/decoder-helpers.js';

export const PUB = join(FIXTURES, 'jwe-rsa2048/keys/rsa1_pub.pem');
export const PRIV = join(FIXTURES, 'jwe-rsa2048/keys/rsa1_priv.pem');
/** The one file of the plain-base fixture's layer. */
export const HELLO = 'hello ocicrypt test vector\n';

/** Every regular file under the native snapshotter's folders (committed or left over). */
export function snapshotFiles(ctd: ContainerdPeer): string[] {
  const out: string[] = [];
  const walk = (d: string): void => {
    let names: string[];
    try {
      names = readdirSync(d);
    } catch {
      return;
    }
    for (const n of names) {
      const p = join(d, n);
      const st = statSync(p, { throwIfNoEntry: false });
      if (st?.isDirectory()) walk(p);
      else if (st?.isFile()) out.push(p);
    }
  };
  walk(ctd.nativeSnapshots);
  return out;
}

/** A fresh copy of a plain fixture layout under `work`. */
export function plainLayout(work: string, vector = 'plain-base'): string {
  const dir = join(work, `plain-${Math.random().toString(36).slice(2)}`);
  cpSync(join(FIXTURES, vector, 'image'), dir, { recursive: true });
  return dir;
}

/**
 * A one-layer image of its own content (so no snapshot of an earlier test can stand in
 * for its unpack), the layer compressed to zstd by skopeo (tag `z`), as a user's build
 * may push it; `text` is what its one file, zstd.txt, holds.
 */
export async function zstdLayout(work: string): Promise<{ dir: string; text: string }> {
  const id = Math.random().toString(36).slice(2);
  const src = join(work, `zstd-src-${id}`);
  const text = `zstd layer ${id}\n`;
  await buildLayout(src, [{ files: { 'zstd.txt': text }, compression: 'none' }], { ref: 'v1' });
  const dir = join(work, `zstd-${id}`);
  await skopeo(['copy', '--dest-compress-format', 'zstd', `oci:${src}:v1`, `oci:${dir}:z`]);
  return { dir, text };
}

/** skopeo-encrypted copy in an OCI layout with one ciphertext byte flipped and every digest made consistent again. */
export async function tamperedLayout(work: string): Promise<string> {
  const dir = join(work, `tampered-${Math.random().toString(36).slice(2)}`);
  await skopeo(['copy', '--encryption-key', `jwe:${PUB}`, `oci:${plainLayout(work)}:base`, `oci:${dir}:enc`]);
  const blob = (d: string): string => join(dir, 'blobs', 'sha256', d.slice(7));
  const index = JSON.parse(readFileSync(join(dir, 'index.json'), 'utf8')) as { manifests: { digest: string; size: number }[] };
  const mdesc = index.manifests[0] as { digest: string; size: number };
  const manifest = JSON.parse(readFileSync(blob(mdesc.digest), 'utf8')) as { layers: { digest: string; size: number; mediaType: string }[] };
  const layer = manifest.layers[0] as { digest: string; size: number; mediaType: string };
  assert.match(layer.mediaType, /\+encrypted$/);
  const bytes = readFileSync(blob(layer.digest));
  bytes[bytes.length - 3] = (bytes[bytes.length - 3] as number) ^ 0x20;
  layer.digest = sha256(bytes);
  layer.size = bytes.length;
  writeFileSync(blob(layer.digest), bytes);
  const mbytes = Buffer.from(JSON.stringify(manifest));
  mdesc.digest = sha256(mbytes);
  mdesc.size = mbytes.length;
  writeFileSync(blob(mdesc.digest), mbytes);
  writeFileSync(join(dir, 'index.json'), JSON.stringify(index));
  return dir;
}

/** imgseal encrypts a fresh zstd image (zstdLayout) to the RSA fixture key and pushes it to `ref`; returns its zstd.txt. */
export async function pushZstdEncrypted(work: string, ref: string): Promise<string> {
  const z = await zstdLayout(work);
  const r = await runCli(['copy', '-q', '--dest-tls-verify=false', '--encryption-key', `jwe:${PUB}`, `oci:${z.dir}:z`, `docker://${ref}`]);
  assert.equal(r.code, 0, r.stderr);
  return z.text;
}

/** The CRI pull of `ref` succeeds and the committed snapshot holds `file` with `text`. */
export async function expectUnpacked(ctd: ContainerdPeer, ref: string, file: string, text: string): Promise<void> {
  const r = await criPull(ctd, ref);
  assert.equal(r.ok, true, r.error);
  const snap = await snapshotPath(ctd, ref);
  assert.ok(snap, 'committed snapshot');
  assert.equal(readFileSync(join(snap, file), 'utf8'), text);
}

/**
 * skopeo pushes tamperedLayout() to `ref`; its CRI pull (the key in place) fails on the
 * HMAC and no file of it is in any snapshot (none may be there before).
 */
export async function expectTamperedRejected(work: string, ctd: ContainerdPeer, ref: string): Promise<void> {
  await skopeo(['copy', '--dest-tls-verify=false', `oci:${await tamperedLayout(work)}:enc`, `docker://${ref}`]);
  const r = await criPull(ctd, ref);
  assert.equal(r.ok, false);
  assert.match(r.error, /HMAC mismatch/);
  assert.equal(await snapshotPath(ctd, ref), undefined);
  assert.deepEqual(snapshotFiles(ctd), []);
}
