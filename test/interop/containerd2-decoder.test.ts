// Issue 10 on containerd 2.x: Debian sid's containerd (2.1 when this was written),
// unpacked beside the system's 1.6 by test/peers/containerd/fetch-v2.sh, with the
// version 3 config the README gives and `imgseal decoder` as its stream processor.
// CRI pulls as a kubelet does, of images skopeo encrypted, from the registry peer:
// - with use_local_image_pull = true (the README's setting) CRI's own pull path passes
//   the decoder its payload, so the proof of the 1.6 test holds: no key → a clear
//   error and no snapshot; the key synced into place, but a ciphertext altered with
//   consistent digests → HMAC mismatch and no snapshot; the intact image → the file is
//   in the committed snapshot; a tar+zstd layer under the …v1.tar id (--returns) too;
// - with the default transfer service containerd passes no payload (fd 3 closed): the
//   pull fails with the decoder's message naming the setting that fixes it, and
//   nothing of the layer lands in a snapshot.
import assert from 'node:assert/strict';
import { mkdtempSync, readdirSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, test, type TestContext } from 'node:test';
import { runCli } from '../testkit/cli.js';
import { criPull, fetchContainerd2, snapshotPath, startContainerd, stopContainerd, type ContainerdPeer } from '../testkit/containerd.js';
import { isCI, startRegistryPeer, stopRegistryPeer, type RegistryPeer } from '../testkit/peers.js';
import { requireTool, skopeo } from '../testkit/tools.js';
import { writeSecretVolume } from '../node/keysync-helpers.js';
import { expectTamperedRejected, expectUnpacked, HELLO, plainLayout, PRIV, PUB, pushZstdEncrypted, snapshotFiles } from './containerd-images.js';

const work = mkdtempSync(join(tmpdir(), 'imgseal-ctd2-'));
let registry: RegistryPeer | undefined;
let localPull: ContainerdPeer | undefined;
let transfer: ContainerdPeer | undefined;
let reason = '';

before(async () => {
  try {
    const binDir = await fetchContainerd2();
    registry = await startRegistryPeer('plain');
    localPull = await startContainerd([registry.host], { binDir, localPull: true });
    transfer = await startContainerd([registry.host], { binDir, localPull: false });
  } catch (err) {
    reason = (err as Error).message;
    if (isCI()) throw new Error(`${reason} (CI=true: a missing peer is a failure, not a skip)`);
  }
}, { timeout: 600_000 });
after(async () => {
  if (localPull) await stopContainerd(localPull);
  if (transfer) await stopContainerd(transfer);
  if (registry) await stopRegistryPeer(registry);
  rmSync(work, { recursive: true, force: true });
}, { timeout: 120_000 });

function peers(t: TestContext, ctd: ContainerdPeer | undefined): { reg: RegistryPeer; ctd: ContainerdPeer } | undefined {
  if (!requireTool('skopeo', t)) return undefined;
  if (registry && ctd) {
    assert.match(ctd.version, /^[2-9]\./, `a containerd 2.x or later, not ${ctd.version}`);
    t.diagnostic(`containerd ${ctd.version}`);
    return { reg: registry, ctd };
  }
  t.skip(reason || 'peers not started');
  return undefined;
}

async function pushEncrypted(reg: RegistryPeer, repo: string): Promise<string> {
  const ref = `${reg.host}/${repo}:v1`;
  await skopeo(['copy', '--dest-tls-verify=false', '--encryption-key', `jwe:${PUB}`, `oci:${plainLayout(work)}:base`, `docker://${ref}`]);
  return ref;
}

describe('containerd 2.x, use_local_image_pull = true: CRI pulls decrypt through imgseal decoder', { concurrency: false }, () => {
  test('without the key: the pull fails with a clear message and nothing of the layer is in any snapshot', async (t) => {
    const p = peers(t, localPull);
    if (!p) return;
    const ref = await pushEncrypted(p.reg, 'v2local/app');
    assert.deepEqual(readdirSync(p.ctd.keysDir), []);
    const r = await criPull(p.ctd, ref);
    assert.equal(r.ok, false);
    assert.match(r.error, /imgseal: layer sha256:[0-9a-f]{64}: missing private key needed for decryption/);
    assert.equal(await snapshotPath(p.ctd, ref), undefined);
    assert.deepEqual(snapshotFiles(p.ctd), []);
  });

  test('a layer whose ciphertext was altered with consistent digests fails on the HMAC and no byte lands in a snapshot', async (t) => {
    const p = peers(t, localPull);
    if (!p) return;
    // The key arrives the way it does on a node: a Secret, synced by imgseal keysync.
    const volume = join(work, 'secret-volume', 'node-keys');
    writeSecretVolume(volume, { 'rsa1.pem': readFileSync(PRIV) });
    const k = await runCli(['keysync', '--once', '--from-dir', volume, '--keys-dir', p.ctd.keysDir, '--namespace', 'image-key-synchronizer']);
    assert.equal(k.code, 0, k.stderr);
    assert.deepEqual(readdirSync(p.ctd.keysDir), ['keysync_image-key-synchronizer_node-keys_rsa1.pem']);
    await expectTamperedRejected(work, p.ctd, `${p.reg.host}/v2local/tampered:v1`);
  });

  test('with the key in place: the file is in the committed snapshot', async (t) => {
    const p = peers(t, localPull);
    if (!p) return;
    await expectUnpacked(p.ctd, `${p.reg.host}/v2local/app:v1`, 'hello.txt', HELLO);
  });

  test('a tar+zstd encrypted layer, accepted under the …v1.tar id with --returns tar: the file is in the committed snapshot', async (t) => {
    const p = peers(t, localPull);
    if (!p) return;
    const ref = `${p.reg.host}/v2local/zstd:v1`;
    await expectUnpacked(p.ctd, ref, 'zstd.txt', await pushZstdEncrypted(work, ref));
  });
});

describe('containerd 2.x with the transfer service (use_local_image_pull = false)', () => {
  test('the pull fails with the decoder saying fd 3 is closed and which setting fixes it; no snapshot', async (t) => {
    const p = peers(t, transfer);
    if (!p) return;
    // With the key in place: what is missing is the payload, not the key.
    writeSecretVolume(join(work, 'secret-volume', 'transfer-keys'), { 'rsa1.pem': readFileSync(PRIV) });
    const k = await runCli(['keysync', '--once', '--from-dir', join(work, 'secret-volume', 'transfer-keys'), '--keys-dir', p.ctd.keysDir, '--namespace', 'image-key-synchronizer']);
    assert.equal(k.code, 0, k.stderr);
    const ref = await pushEncrypted(p.reg, 'v2transfer/app');
    const r = await criPull(p.ctd, ref);
    assert.equal(r.ok, false);
    assert.match(r.error, /imgseal: no unpack payload: file descriptor 3 is not open/);
    assert.match(r.error, /use_local_image_pull = true/);
    assert.equal(await snapshotPath(p.ctd, ref), undefined);
    assert.deepEqual(snapshotFiles(p.ctd), []);
  });
});
