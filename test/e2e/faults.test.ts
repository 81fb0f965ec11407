/**
 * Faults through the whole CLI pipeline (`imgseal copy`), with the loopback fault
 * proxy in front of the plain registry peer:
 *  - transient faults (500/502/503, a reset in the middle of a blob, on push and on
 *    pull) are retried and the copy succeeds, byte for byte;
 *  - persistent failures, a wrong-digest blob body and a truncated blob exit 1 with
 *    one clear line, and leave nothing partial: an `oci:` destination is not created
 *    (or, when it existed, is unchanged); a registry destination has no such tag.
 * The CLI's first backoff is 1 s, so failing cases use --retry-times 1.
 */
import assert from 'node:assert/strict';
import { randomBytes } from 'node:crypto';
import { existsSync, readdirSync } from 'node:fs';
import { after, before, describe, test, type TestContext } from 'node:test';
import { FaultProxy, type FaultRule } from '../testkit/fault-proxy.js';
import { addImageToLayout, buildLayout, type BuiltImage, type LayerSpec } from '../testkit/image-builder.js';
import { readImage, snapshotTree } from '../testkit/image-reader.js';
import { useRegistryPeer, type RegistryPeer } from '../testkit/peers.js';
import { assertOneLineFailure, assertSameImage, imgseal, imgsealOk, skopeo, workDir } from './helpers.js';

const work = workDir('faults');
const PLAIN_SRC = ['--src-tls-verify=false'];
const PLAIN_DEST = ['--dest-tls-verify=false'];

// Layer 0 > 1 MiB (streamed PATCH upload), layer 1 small (one buffered PUT).
const LAYERS: LayerSpec[] = [
  { files: { 'big.bin.hex': randomBytes(1_500_000).toString('hex') }, compression: 'gzip' },
  { files: { 'small.txt': 'a small layer for the fault tests\n' }, compression: 'gzip' },
];

describe('imgseal copy through a fault proxy (plain registry peer)', { timeout: 200_000 }, () => {
  const reg = useRegistryPeer('plain');
  let proxy: FaultProxy | undefined;
  let srcDir: string;
  let orig: BuiltImage;
  let seeded: RegistryPeer | undefined;
  let n = 0;

  before(async () => {
    srcDir = work.dir('src');
    orig = await buildLayout(srcDir, LAYERS);
  });
  after(async () => proxy?.close());

  /** The peer, a clean proxy with `rules`, and the image already in the registry at faults/app:v1. */
  async function setup(t: TestContext, rules: FaultRule[] = []): Promise<{ peer: RegistryPeer; p: FaultProxy } | undefined> {
    const peer = reg.get(t);
    if (!peer) return undefined;
    proxy ??= await FaultProxy.start(peer.host);
    if (seeded !== peer) {
      await imgsealOk(['copy', '-q', `oci:${srcDir}:base`, `docker://${peer.host}/faults/app:v1`, ...PLAIN_DEST]);
      seeded = peer;
    }
    proxy.clear();
    for (const r of rules) proxy.add(r);
    return { peer, p: proxy };
  }

  const bigBlob = (): RegExp => new RegExp(`/blobs/${orig.layers[0]!.desc.digest}$`);
  const fresh = (): string => `faults/push-${n++}:v1`;

  /** The tag is absent from the registry (asked directly, not through the proxy). */
  async function assertNoTag(peer: RegistryPeer, repoTag: string): Promise<void> {
    await assert.rejects(skopeo(['inspect', '--raw', '--tls-verify=false', `docker://${peer.host}/${repoTag}`]), /manifest unknown|not found/i, `${repoTag} must not exist`);
  }

  async function assertPulledBack(peer: RegistryPeer, repoTag: string): Promise<void> {
    const out = work.dir('check');
    await skopeo(['copy', '-q', '--src-tls-verify=false', `docker://${peer.host}/${repoTag}`, `oci:${out}:x`]);
    assertSameImage(await readImage(out, 'x'), orig, `${repoTag} as skopeo reads it`);
  }

  test('push: 500 on POST, 502 on the committing PUT, 500 on the manifest PUT are retried', async (t) => {
    const s = await setup(t, [
      { method: 'POST', path: /\/blobs\/uploads\/$/, fault: { kind: 'status', status: 500 } },
      { method: 'PUT', path: /\/blobs\/uploads\/.*digest=/, fault: { kind: 'status', status: 502 } },
      { method: 'PUT', path: /\/manifests\//, fault: { kind: 'status', status: 500 } },
    ]);
    if (!s) return;
    const tag = fresh();
    await imgsealOk(['copy', '-q', `oci:${srcDir}:base`, `docker://${s.p.host}/${tag}`, ...PLAIN_DEST]);
    assert.equal(s.p.pending(), 0, 'every fault was hit');
    await assertPulledBack(s.peer, tag);
  });

  test('push to a new repository asks once whether it exists instead of a HEAD per blob', async (t) => {
    const s = await setup(t);
    if (!s) return;
    const tag = fresh();
    const repo = tag.split(':')[0]!;
    await imgsealOk(['copy', '-q', `oci:${srcDir}:base`, `docker://${s.p.host}/${tag}`, ...PLAIN_DEST]);
    const asks = s.p.log.filter((e) => e.method === 'GET' && e.url.startsWith(`/v2/${repo}/tags/list`));
    assert.deepEqual(asks.map((e) => e.status), [404], 'one tags/list, answered NAME_UNKNOWN');
    assert.deepEqual(s.p.log.filter((e) => e.method === 'HEAD'), [], 'no blob HEADs');
    const commits = s.p.log.filter((e) => e.method === 'PUT' && /\/blobs\/uploads\/.*digest=/.test(e.url) && e.status === 201);
    assert.equal(commits.length, orig.layers.length + 1, 'every layer and the config uploaded once');
    await assertPulledBack(s.peer, tag);

    // The repository exists now: a second push to it checks each blob and uploads none.
    s.p.clear();
    await imgsealOk(['copy', '-q', `oci:${srcDir}:base`, `docker://${s.p.host}/${repo}:v2`, ...PLAIN_DEST]);
    const heads = s.p.log.filter((e) => e.method === 'HEAD' && /\/blobs\//.test(e.url));
    assert.equal(heads.filter((e) => e.status === 200).length, orig.layers.length + 1, 'every blob found by HEAD');
    // (a small blob's upload session is opened while its HEAD is in flight, then cancelled)
    assert.ok(!s.p.log.some((e) => e.method === 'PATCH' || (e.method === 'PUT' && /\/blobs\//.test(e.url))), 'no blob uploaded');
    await assertPulledBack(s.peer, `${repo}:v2`);
  });

  test('push to an existing repository: 503 on HEAD is retried', async (t) => {
    const s = await setup(t, [{ method: 'HEAD', path: /\/blobs\//, fault: { kind: 'status', status: 503 } }]);
    if (!s) return;
    const tag = `faults/app:head-${n++}`;
    await imgsealOk(['copy', '-q', `oci:${srcDir}:base`, `docker://${s.p.host}/${tag}`, ...PLAIN_DEST]);
    assert.equal(s.p.pending(), 0, 'the fault was hit');
    await assertPulledBack(s.peer, tag);
  });

  test('registry → same registry: blobs are mounted across repositories, not copied', async (t) => {
    const s = await setup(t);
    if (!s) return;
    const tag = fresh();
    await imgsealOk(['copy', '-q', `docker://${s.p.host}/faults/app:v1`, `docker://${s.p.host}/${tag}`, ...PLAIN_SRC, ...PLAIN_DEST]);
    const mounts = s.p.log.filter((e) => e.method === 'POST' && /[?&]mount=sha256/.test(e.url) && /[?&]from=faults%2Fapp/.test(e.url));
    assert.equal(mounts.filter((e) => e.status === 201).length, orig.layers.length + 1, 'every layer and the config mounted (201)');
    const layerGets = s.p.log.filter((e) => e.method === 'GET' && orig.layers.some((l) => e.url.endsWith(`/blobs/${l.desc.digest}`)));
    assert.deepEqual(layerGets, [], 'no layer was read');
    assert.ok(!s.p.log.some((e) => e.method === 'PATCH'), 'no blob bytes were sent');
    await assertPulledBack(s.peer, tag);
  });

  test('push: a connection reset in the middle of a small blob\'s one-shot PUT is retried; the copy succeeds', async (t) => {
    const s = await setup(t, [{ method: 'PUT', path: /\/blobs\/uploads\/.*digest=/, fault: { kind: 'reset-request', bytes: 50 } }]);
    if (!s) return;
    const tag = fresh();
    await imgsealOk(['copy', '-q', `oci:${srcDir}:base`, `docker://${s.p.host}/${tag}`, ...PLAIN_DEST]);
    assert.equal(s.p.pending(), 0, 'the fault was hit');
    await assertPulledBack(s.peer, tag);
  });

  test('push: a connection reset in the middle of a big blob\'s streamed upload is restarted; the copy succeeds', async (t) => {
    const s = await setup(t, [{ method: 'PATCH', path: /\/blobs\/uploads\//, fault: { kind: 'reset-request', bytes: 400_000 } }]);
    if (!s) return;
    const tag = fresh();
    const r = await imgseal(['copy', '-q', `oci:${srcDir}:base`, `docker://${s.p.host}/${tag}`, ...PLAIN_DEST]);
    // Issue 4, resilience: "an upload that fails is restarted cleanly" (the oci: source can be read again).
    assert.equal(r.code, 0, `copy should survive one reset mid-upload; stderr: ${r.stderr}`);
    assert.equal(s.p.pending(), 0, 'the fault was hit');
    await assertPulledBack(s.peer, tag);
  });

  test('push: a streamed upload reset every time → exit 1, one clear line, the tag does not exist', async (t) => {
    const s = await setup(t, [{ method: 'PATCH', path: /\/blobs\/uploads\//, times: 1000, fault: { kind: 'reset-request', bytes: 400_000 } }]);
    if (!s) return;
    const tag = fresh();
    const r = await imgseal(['copy', '-q', '--retry-times', '1', `oci:${srcDir}:base`, `docker://${s.p.host}/${tag}`, ...PLAIN_DEST]);
    assertOneLineFailure(r, /uploading blob .*(reset|connection)/i, 'persistent reset on upload');
    assert.ok(!s.p.log.some((e) => e.method === 'PUT' && /\/manifests\//.test(e.url)), 'no manifest PUT was attempted');
    await assertNoTag(s.peer, tag);
  });

  test('pull: 500s on manifest and blob GETs are retried', async (t) => {
    const s = await setup(t, [
      { method: 'GET', path: /\/manifests\/v1$/, times: 2, fault: { kind: 'status', status: 500 } },
      { method: 'GET', path: /\/blobs\/sha256:/, fault: { kind: 'status', status: 503 } },
    ]);
    if (!s) return;
    const out = work.dir('pull500');
    await imgsealOk(['copy', '-q', `docker://${s.p.host}/faults/app:v1`, `oci:${out}:x`, ...PLAIN_SRC]);
    assert.equal(s.p.pending(), 0);
    assertSameImage(await readImage(out, 'x'), orig, 'pulled through 500s');
  });

  test('pull: a reset in the middle of a blob is resumed; the copy succeeds byte for byte', async (t) => {
    const s = await setup(t, [{ method: 'GET', path: bigBlob(), fault: { kind: 'reset-response', bytes: 300_000 } }]);
    if (!s) return;
    const out = work.dir('pullreset');
    await imgsealOk(['copy', '-q', `docker://${s.p.host}/faults/app:v1`, `oci:${out}:x`, ...PLAIN_SRC]);
    assert.equal(s.p.pending(), 0);
    assertSameImage(await readImage(out, 'x'), orig, 'pulled through a reset');
  });

  /** A failing pull into a new path and into an existing layout: one line, nothing created or changed. */
  async function failingPull(s: { p: FaultProxy }, rules: FaultRule[], re: RegExp, what: string): Promise<void> {
    const newDir = work.dir('newdest');
    const parent = work.root;
    const beforeEntries = readdirSync(parent);
    s.p.clear();
    rules.forEach((r) => s.p.add(r));
    const r1 = await imgseal(['copy', '-q', '--retry-times', '1', `docker://${s.p.host}/faults/app:v1`, `oci:${newDir}:x`, ...PLAIN_SRC]);
    assertOneLineFailure(r1, re, `${what} (new layout)`);
    assert.equal(existsSync(newDir), false, `${what}: the new layout was not created`);
    assert.deepEqual(readdirSync(parent).filter((e) => !beforeEntries.includes(e)), [], `${what}: no staging folder left next to it`);

    const existing = work.dir('existing');
    await buildLayout(existing, [{ files: { 'other.txt': 'an image already there\n' }, compression: 'gzip' }], { ref: 'old' });
    await addImageToLayout(existing, 'older', [{ files: { 'older.txt': 'one more\n' }, compression: 'none' }]);
    const snap = snapshotTree(existing);
    s.p.clear();
    rules.forEach((r) => s.p.add(r));
    const r2 = await imgseal(['copy', '-q', '--retry-times', '1', `docker://${s.p.host}/faults/app:v1`, `oci:${existing}:x`, ...PLAIN_SRC]);
    assertOneLineFailure(r2, re, `${what} (existing layout)`);
    assert.deepEqual(snapshotTree(existing), snap, `${what}: the existing layout is unchanged (no blob, no staging folder, same index.json)`);
  }

  test('pull: a persistent 503 → exit 1, one line, no oci: destination written', async (t) => {
    const s = await setup(t);
    if (!s) return;
    await failingPull(s, [{ method: 'GET', path: bigBlob(), times: 1000, fault: { kind: 'status', status: 503 } }], /503|unavailable|injected/i, 'persistent 503');
  });

  test('pull: a wrong-digest blob body → exit 1, one line naming the digest problem, nothing written', async (t) => {
    const s = await setup(t);
    if (!s) return;
    await failingPull(s, [{ method: 'GET', path: bigBlob(), times: 1000, fault: { kind: 'corrupt-response' } }], /digest/i, 'wrong digest');
  });

  test('pull: a blob truncated every time → exit 1, one line, nothing written', async (t) => {
    const s = await setup(t);
    if (!s) return;
    await failingPull(s, [{ method: 'GET', path: bigBlob(), times: 1000, fault: { kind: 'truncate-response', bytes: 100_000 } }], /interrupted|truncated|short|unexpected end|premature/i, 'truncated blob');
  });

  test('push: a persistent 500 on blob uploads → exit 1, one line, the tag does not exist', async (t) => {
    const s = await setup(t, [{ method: 'POST', path: /\/blobs\/uploads\/$/, times: 1000, fault: { kind: 'status', status: 500 } }]);
    if (!s) return;
    // A fresh image, so no blob is already in the registry.
    const src = work.dir('pushsrc');
    await buildLayout(src, [{ files: { 'fresh.txt': randomBytes(64).toString('hex') }, compression: 'gzip' }]);
    const tag = fresh();
    const r = await imgseal(['copy', '-q', '--retry-times', '1', `oci:${src}:base`, `docker://${s.p.host}/${tag}`, ...PLAIN_DEST]);
    assertOneLineFailure(r, /500|injected/, 'persistent 500 on push');
    assert.ok(!s.p.log.some((e) => e.method === 'PUT' && /\/manifests\//.test(e.url)), 'no manifest PUT was attempted');
    await assertNoTag(s.peer, tag);
  });

  for (const [kind, re] of [
    ['corrupt-response', /digest/i],
    ['truncate-response', /interrupted|truncated|short|unexpected end|premature/i],
  ] as const) {
    test(`registry → registry: a ${kind === 'corrupt-response' ? 'wrong-digest' : 'truncated'} source blob → exit 1, one line, no tag at the destination`, async (t) => {
      const s = await setup(t);
      if (!s) return;
      s.p.add({ method: 'GET', path: bigBlob(), times: 1000, fault: kind === 'corrupt-response' ? { kind } : { kind, bytes: 100_000 } });
      const tag = fresh();
      const r = await imgseal(['copy', '-q', '--retry-times', '1', `docker://${s.p.host}/faults/app:v1`, `docker://${s.peer.host}/${tag}`, ...PLAIN_SRC, ...PLAIN_DEST]);
      assertOneLineFailure(r, re, kind);
      await assertNoTag(s.peer, tag);
    });
  }
});

describe('imgseal copy through a fault proxy (token registry peer)', { timeout: 120_000 }, () => {
  const reg = useRegistryPeer('token');
  let proxy: FaultProxy | undefined;
  after(async () => proxy?.close());

  test('pull: a 401 for a stale token on a blob GET → a new token is fetched and the copy succeeds', async (t) => {
    const peer = reg.get(t);
    if (!peer) return;
    const src = work.dir('tsrc');
    const img = await buildLayout(src, [{ files: { 'token.txt': 'behind a token issuer\n' }, compression: 'gzip' }]);
    const creds = `${peer.user}:${peer.password}`;
    await imgsealOk(['copy', '-q', `oci:${src}:base`, `docker://${peer.host}/faults/tok:v1`, '--dest-tls-verify=false', '--dest-creds', creds]);
    proxy = await FaultProxy.start(peer.host);
    const service = peer.raw.TOKEN_SERVICE ?? 'peer-registry';
    proxy.add({
      method: 'GET',
      path: /\/blobs\/sha256:/,
      authorized: true,
      fault: {
        kind: 'status',
        status: 401,
        headers: { 'www-authenticate': `Bearer realm="${peer.tokenUrl}",service="${service}",scope="repository:faults/tok:pull",error="invalid_token"` },
        body: JSON.stringify({ errors: [{ code: 'UNAUTHORIZED', message: 'token expired (injected)' }] }),
      },
    });
    const out = work.dir('tout');
    await imgsealOk(['copy', '-q', `docker://${proxy.host}/faults/tok:v1`, `oci:${out}:x`, '--src-tls-verify=false', '--src-creds', creds]);
    assert.equal(proxy.pending(), 0, 'the stale-token 401 was served');
    assertSameImage(await readImage(out, 'x'), img, 'pulled after a token refresh');
  });
});
