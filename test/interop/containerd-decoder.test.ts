// Issue 10, decoder proof with real containerd 1.6 through CRI (node key model) and
// `imgseal decoder` as its stream processor: images skopeo encrypted, pushed to the
// registry peer, pulled through CRI/PullImage as a kubelet does.
import assert from 'node:assert/strict';
import { chmodSync, copyFileSync, mkdtempSync, readdirSync, readFileSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, test, type TestContext } from 'node:test';
import { FIXTURES, runCli } from '../testkit/cli.js';
import { criPull, snapshotPath, startContainerd, stopContainerd, type ContainerdPeer } from '../testkit/containerd.js';
import { isCI, startRegistryPeer, stopRegistryPeer, type RegistryPeer } from '../testkit/peers.js';
import { addAesKey, useSoftHsmToken } from '../testkit/softhsm.js';
import { requireTool, skopeo } from '../testkit/tools.js';
import { expectTamperedRejected, expectUnpacked, HELLO, plainLayout, PRIV, PUB, pushZstdEncrypted, snapshotFiles } from './containerd-images.js';
import { writeSecretVolume } from '../node/keysync-helpers.js';

const work = mkdtempSync(join(tmpdir(), 'imgseal-ctd-'));
const hsm = useSoftHsmToken();
let registry: RegistryPeer | undefined;
let containerd: ContainerdPeer | undefined;
let reason = '';

before(async () => {
  try {
    registry = await startRegistryPeer('plain');
    containerd = await startContainerd([registry.host]);
  } catch (err) {
    reason = (err as Error).message;
    if (isCI()) throw new Error(`${reason} (CI=true: a missing peer is a failure, not a skip)`);
  }
}, { timeout: 300_000 });
after(async () => {
  if (containerd) await stopContainerd(containerd);
  if (registry) await stopRegistryPeer(registry);
  rmSync(work, { recursive: true, force: true });
}, { timeout: 120_000 });

function peers(t: TestContext): { reg: RegistryPeer; ctd: ContainerdPeer } | undefined {
  if (!requireTool('skopeo', t)) return undefined;
  if (registry && containerd) return { reg: registry, ctd: containerd };
  t.skip(reason || 'peers not started');
  return undefined;
}

/** The Secret volume kubelet would mount for Secret `node-keys` (type key). */
const VOLUME = join(work, 'secret-volume', 'node-keys');

async function keysync(ctd: ContainerdPeer): Promise<void> {
  const r = await runCli(['keysync', '--once', '--from-dir', VOLUME, '--keys-dir', ctd.keysDir, '--namespace', 'image-key-synchronizer']);
  assert.equal(r.code, 0, r.stderr);
}

describe('containerd 1.6 CRI pull with imgseal decoder (node key model)', { concurrency: false }, () => {
  test('without the key: the pull fails with a clear message and nothing of the layer is in any snapshot', async (t) => {
    const p = peers(t);
    if (!p) return;
    const ref = `${p.reg.host}/enc/app:v1`;
    await skopeo(['copy', '--dest-tls-verify=false', '--encryption-key', `jwe:${PUB}`, `oci:${plainLayout(work)}:base`, `docker://${ref}`]);
    assert.deepEqual(readdirSync(p.ctd.keysDir), []);
    const r = await criPull(p.ctd, ref);
    assert.equal(r.ok, false);
    assert.match(r.error, /failed to pull and unpack image/);
    assert.match(r.error, /imgseal: layer sha256:[0-9a-f]{64}: missing private key needed for decryption/);
    assert.equal(await snapshotPath(p.ctd, ref), undefined);
    assert.deepEqual(snapshotFiles(p.ctd), []);
  });

  test('a layer whose ciphertext was altered with consistent digests fails on the HMAC and no byte lands in a snapshot', async (t) => {
    const p = peers(t);
    if (!p) return;
    // The key arrives the way it does on a node: a Secret, synced by imgseal keysync.
    writeSecretVolume(VOLUME, { 'rsa1.pem': readFileSync(PRIV) });
    await keysync(p.ctd);
    assert.deepEqual(readdirSync(p.ctd.keysDir), ['keysync_image-key-synchronizer_node-keys_rsa1.pem']);
    assert.equal(statSync(join(p.ctd.keysDir, 'keysync_image-key-synchronizer_node-keys_rsa1.pem')).mode & 0o777, 0o600);
    await expectTamperedRejected(work, p.ctd, `${p.reg.host}/enc/tampered:v1`);
  });

  test('after keysync put the key in place: the file is in the committed snapshot', async (t) => {
    const p = peers(t);
    if (!p) return;
    await expectUnpacked(p.ctd, `${p.reg.host}/enc/app:v1`, 'hello.txt', HELLO);
  });

  test('a tar+zstd encrypted layer, accepted under the …v1.tar id with --returns tar (the README\'s setting): the file is in the committed snapshot', async (t) => {
    const p = peers(t);
    if (!p) return;
    // The key is in place (previous tests).
    const ref = `${p.reg.host}/enc/zstd:v1`;
    await expectUnpacked(p.ctd, ref, 'zstd.txt', await pushZstdEncrypted(work, ref));
  });

  test('Secret entry deleted → keysync removes the key → the next new encrypted image fails', async (t) => {
    const p = peers(t);
    if (!p) return;
    writeSecretVolume(VOLUME, { 'unrelated.pem': readFileSync(join(FIXTURES, 'jwe-ec-p256/keys/ec_p256_priv.pem')) });
    rmSync(join(VOLUME, 'rsa1.pem'));
    await keysync(p.ctd);
    assert.deepEqual(readdirSync(p.ctd.keysDir), ['keysync_image-key-synchronizer_node-keys_unrelated.pem']);
    const ref = `${p.reg.host}/enc/two-layer:v1`;
    await skopeo(['copy', '--dest-tls-verify=false', '--encryption-key', `jwe:${PUB}`, `oci:${plainLayout(work, 'plain-two-layer')}:base`, `docker://${ref}`]);
    const r = await criPull(p.ctd, ref);
    assert.equal(r.ok, false);
    assert.match(r.error, /missing private key needed for decryption/);
    assert.equal(await snapshotPath(p.ctd, ref), undefined);
  });

  test('a kp-key Secret wrapped on a SoftHSM token: keysync unwraps it through PKCS#11, then the CRI pull decrypts', async (t) => {
    const p = peers(t);
    const tk = hsm.get(t);
    if (!p || !tk) return;
    await addAesKey(tk, 'ctd-kek', '2d');
    const cfg = join(work, 'pkcs11.json');
    writeFileSync(cfg, JSON.stringify({ 'module-path': tk.module, 'token-label': tk.tokenLabel, 'key-label': 'ctd-kek', 'pin-env': 'NODE_PIN', 'module-env': { SOFTHSM2_CONF: tk.softhsmConf } }));
    const env = { OCICRYPT_CONFIG: tk.ocicryptConfig, NODE_PIN: tk.pin };
    // A key nothing else on this node has, wrapped by the token's AES key.
    const key = join(work, 'node-key');
    assert.equal((await runCli(['keygen', '--type', 'ec', '-o', key])).code, 0);
    const wrapped = join(work, 'node-key.wrapped');
    const w = await runCli(['kms', 'wrap', '--pkcs11-config', cfg, `${key}.key`, wrapped], { env });
    assert.equal(w.code, 0, w.stderr);
    const volume = join(work, 'secret-volume', 'wrapped-keys');
    writeSecretVolume(volume, { 'node.pem': readFileSync(wrapped) });
    const k = await runCli(['keysync', '--once', '--from-dir', volume, '--secret-type', 'kp-key', '--pkcs11-config', cfg, '--keys-dir', p.ctd.keysDir, '--namespace', 'image-key-synchronizer'], { env });
    assert.equal(k.code, 0, k.stderr);
    assert.doesNotMatch(k.stdout + k.stderr, new RegExp(`${tk.pin}|PRIVATE KEY`));
    const file = join(p.ctd.keysDir, 'keysync_image-key-synchronizer_wrapped-keys_node.pem');
    assert.deepEqual(readdirSync(p.ctd.keysDir), ['keysync_image-key-synchronizer_wrapped-keys_node.pem']);
    assert.equal(statSync(file).mode & 0o777, 0o600);
    assert.deepEqual(readFileSync(file), readFileSync(`${key}.key`));
    const ref = `${p.reg.host}/enc/pkcs11-wrapped:v1`;
    await skopeo(['copy', '--dest-tls-verify=false', '--encryption-key', `jwe:${key}.pub.pem`, `oci:${plainLayout(work)}:base`, `docker://${ref}`]);
    const r = await criPull(p.ctd, ref);
    assert.equal(r.ok, true, r.error);
    const snap = await snapshotPath(p.ctd, ref);
    assert.ok(snap, 'committed snapshot');
    assert.equal(readFileSync(join(snap, 'hello.txt'), 'utf8'), HELLO);
  });
});

// Why the README puts tar+zstd layers under the …v1.tar id: containerd's CRI plugin
// attaches the unpack payload only for the tar and tar.gzip ids (imgcrypt's
// PayloadToolIDs), so a processor of their own never learns the layer's keys.
describe('containerd 1.6 with tar+zstd layers under their own io.containerd.ocicrypt.decoder.v1.tar.zstd id', () => {
  let own: ContainerdPeer | undefined;
  before(async () => {
    if (!registry) return;
    own = await startContainerd([registry.host], { zstdId: 'tar.zstd' });
    copyFileSync(PRIV, join(own.keysDir, 'rsa1.pem'));
    chmodSync(join(own.keysDir, 'rsa1.pem'), 0o600);
  }, { timeout: 180_000 });
  after(async () => {
    if (own) await stopContainerd(own);
  }, { timeout: 90_000 });

  test('the decoder gets no payload and says so, naming the fix; nothing is unpacked', async (t) => {
    const p = peers(t);
    if (!p) return;
    assert.ok(own, 'the second containerd started');
    const ref = `${p.reg.host}/enc/zstd-own-id:v1`;
    await pushZstdEncrypted(work, ref);
    const r = await criPull(own, ref);
    assert.equal(r.ok, false);
    assert.match(r.error, /imgseal: no unpack payload: file descriptor 3 is not open/);
    assert.match(r.error, /--returns application\/vnd\.oci\.image\.layer\.v1\.tar/);
    assert.equal(await snapshotPath(own, ref), undefined);
  });
});
