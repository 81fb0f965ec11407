/**
 * Issue 9 with the seed's own clients: Debian's podman 4.3.1 and buildah 1.28.2
 * (test/peers/podman: private storage and configuration, no containers run), the
 * plain registry peer, GnuPG keys from test/peers/gpg/make-key.sh, and a loopback web
 * server serving the lookaside folder read-only (as the seed's web server). podman,
 * buildah and imgseal all read the same registries.d folder (the peer's
 * $HOME/.config/containers/registries.d, where podman looks: it has no flag or
 * variable for it): `docker: HOST/signed: {lookaside: http://…, lookaside-staging:
 * file://…}`. Policies are given with podman's/buildah's `--signature-policy FILE`.
 *  - imgseal copy --sign-by A → podman pull and buildah pull accept under signedBy A
 *    (after reading signature-1 from the web server) and reject under key B, storing
 *    nothing;
 *  - podman push --sign-by B and buildah push --sign-by A → imgseal accepts under that
 *    key and rejects under the other, writing nothing at the destination;
 *  - podman push --sign-by with a signing subkey → imgseal accepts under the primary
 *    key's export; podman 4.3.1 itself (containers/image 5.23) rejects it.
 */
import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import { existsSync, mkdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { after, before, describe, test } from 'node:test';
import { buildLayout, type BuiltImage } from '../testkit/image-builder.js';
import { serveReadOnly, type LookasideServer } from '../testkit/lookaside-server.js';
import { GpgKeys, signedByPolicyFile, type GpgKey } from '../testkit/gpg-keys.js';
import { useRegistryPeer, type RegistryPeer } from '../testkit/peers.js';
import { buildah, runPeerTool, usePodmanPeer, type PodmanPeer } from '../testkit/podman.js';
import { haveTool, requireTool } from '../testkit/tools.js';
import { assertOneLineFailure, imgseal, imgsealOk, regFlags, runTool, workDir } from './helpers.js';

const work = workDir('sigpodman');

type Gpg = GpgKey;
const keys = new GpgKeys((label) => work.dir(label));
const makeKey = (name: string): Gpg => keys.make(name);
const policyFile = (name: string, keyring: string, scope: string): string => signedByPolicyFile(work.root, name, keyring, scope);

describe('signing and policy with podman and buildah', { timeout: 600_000 }, () => {
  const reg = useRegistryPeer('plain');
  const pm = usePodmanPeer();
  let a: Gpg;
  let b: Gpg;
  let imgDir: string;
  let img: BuiltImage;
  let staging: string;
  let web: LookasideServer;

  before(async () => {
    if (!haveTool('gpg')) return;
    a = makeKey('signer-a');
    b = makeKey('signer-b');
    imgDir = work.dir('img');
    img = await buildLayout(imgDir, [{ files: { 'hello.txt': 'signed for podman\n' }, compression: 'gzip' }]);
    staging = work.dir('staging');
    mkdirSync(staging, { recursive: true });
    web = await serveReadOnly(staging);
  });
  after(async () => {
    await web?.close();
    keys.stopAll();
  });

  /** The shared registries.d (podman's own folder) with the scope for HOST/signed. */
  const registriesD = (peer: RegistryPeer, bp: PodmanPeer): string => {
    const dir = bp.raw.PODMAN_PEER_REGISTRIES_D!;
    writeFileSync(join(dir, 'imgseal-e2e.yaml'), `docker:\n  ${peer.host}/signed:\n    lookaside: ${web.url}\n    lookaside-staging: file://${staging}\n`);
    return dir;
  };
  const sigPath = (repo: string, digest: string): string => join(staging, `signed/${repo}@sha256=${digest.slice(7)}`, 'signature-1');
  const env = (g: Gpg): Record<string, string> => ({ GNUPGHOME: g.home });

  /** `podman|buildah pull` under a policy; the image must (not) end up in the peer's storage. */
  async function peerPull(bp: PodmanPeer, tool: 'podman' | 'buildah', policy: string, ref: string, accepted: boolean): Promise<string> {
    await runPeerTool(bp, 'podman', ['rmi', '-f', ref]);
    const r = await runPeerTool(bp, tool, ['pull', '-q', '--tls-verify=false', '--signature-policy', policy, `docker://${ref}`]);
    const exists = await runPeerTool(bp, 'podman', ['image', 'exists', ref]);
    if (accepted) {
      assert.equal(r.code, 0, `${tool} pull ${ref}: ${r.stderr}`);
      assert.equal(exists.code, 0, `${tool} stored ${ref}`);
    } else {
      assert.equal(r.code, 125, `${tool} pull ${ref} must be rejected: ${r.stdout}${r.stderr}`);
      assert.equal(exists.code, 1, `${tool} stored nothing for ${ref}`);
    }
    return r.stderr;
  }

  /** imgseal copy from the registry under a policy: accepted → an OCI layout; rejected → one line, nothing written. */
  async function imgsealPull(peer: RegistryPeer, regsD: string, policy: string, ref: string, rejected?: RegExp): Promise<void> {
    const out = work.dir('imgseal-pull');
    const args = ['copy', '-q', '--policy', policy, '--registries.d', regsD, ...regFlags(peer, 'src'), `docker://${ref}`, `dir:${out}`];
    if (!rejected) {
      await imgsealOk(args);
      assert.ok(existsSync(join(out, 'signature-1')), 'the signature travels into dir:');
      return;
    }
    assertOneLineFailure(await imgseal(args), rejected, `imgseal under another key: ${ref}`);
    assert.equal(existsSync(out), false, 'nothing written at the destination');
  }

  /** An image in the peer's storage to push: buildah pull of the OCI layout (relative, lowercase path). */
  async function localImage(bp: PodmanPeer): Promise<string> {
    const rel = imgDir.slice(work.root.length + 1);
    await buildah(bp, ['pull', '-q', `oci:${rel}:base`], { cwd: work.root });
    return `localhost/${rel}:latest`;
  }

  test('imgseal --sign-by on push: podman and buildah pull accept under key A, reject under key B', async (t) => {
    if (!requireTool('gpg', t)) return;
    const peer = reg.get(t);
    const bp = peer && pm.get(t);
    if (!peer || !bp) return;
    const regsD = registriesD(peer, bp);
    const ref = `${peer.host}/signed/by-imgseal:v1`;
    await imgsealOk(['copy', '-q', '--insecure-policy', '--registries.d', regsD, '--sign-by', a.fpr, ...regFlags(peer, 'dest'), `oci:${imgDir}`, `docker://${ref}`], { env: env(a) });
    const sig = sigPath('by-imgseal', img.manifest.digest);
    assert.ok(existsSync(sig), 'signature-1 staged for the web server');
    const polA = policyFile('pod-a', a.pubkey, `${peer.host}/signed`);
    const polB = policyFile('pod-b', b.pubkey, `${peer.host}/signed`);

    web.requests.length = 0;
    await peerPull(bp, 'podman', polA, ref, true);
    const served = `/signed/by-imgseal@sha256=${img.manifest.digest.slice(7)}`;
    assert.ok(web.requests.includes(`200 ${served}/signature-1`), `podman read signature-1 from the web server: ${web.requests.join(', ')}`);
    assert.ok(web.requests.includes(`404 ${served}/signature-2`), 'and stopped at the first missing one');
    const podmanB = await peerPull(bp, 'podman', polB, ref, false);
    assert.match(podmanB, /Error: Source image rejected: Invalid GPG signature: gpgme\.Signature\{.*Status:gpgme\.Error\{err:0x9\}/);
    assert.match(podmanB, new RegExp(`Fingerprint:"${a.fpr}"`));

    await peerPull(bp, 'buildah', polA, ref, true);
    const buildahB = await peerPull(bp, 'buildah', polB, ref, false);
    assert.match(buildahB, /Source image rejected: Invalid GPG signature/);
    // An unsigned image in the same scope: both refuse it as containers/image does, and so does imgseal.
    const unsigned = `${peer.host}/signed/unsigned:v1`;
    await imgsealOk(['copy', '-q', '--insecure-policy', '--registries.d', regsD, ...regFlags(peer, 'dest'), `oci:${imgDir}`, `docker://${unsigned}`]);
    assert.match(await peerPull(bp, 'podman', polA, unsigned, false), /Source image rejected: A signature was required, but no signature exists/);
    await imgsealPull(peer, regsD, polA, unsigned, /^imgseal: Source image rejected: A signature was required, but no signature exists$/);
  });

  test('podman push --sign-by: imgseal accepts under that key, rejects under another, writing nothing', async (t) => {
    if (!requireTool('gpg', t)) return;
    const peer = reg.get(t);
    const bp = peer && pm.get(t);
    if (!peer || !bp) return;
    const regsD = registriesD(peer, bp);
    const local = await localImage(bp);
    const ref = `${peer.host}/signed/by-podman:v1`;
    const push = await runPeerTool(bp, 'podman', ['push', '-q', '--tls-verify=false', '--sign-by', b.fpr, local, `docker://${ref}`], { env: env(b) });
    assert.equal(push.code, 0, push.stderr);
    const digest = JSON.parse((await imgsealOk(['inspect', ...regFlags(peer, 'src'), `docker://${ref}`])).stdout).Digest as string;
    const sig = sigPath('by-podman', digest);
    assert.ok(existsSync(sig), `podman staged ${sig}`);
    const v = await runTool('gpgv', ['--keyring', b.pubkey, sig]);
    assert.equal(v.code, 0, v.stderr);
    await imgsealPull(peer, regsD, policyFile('imp-b', b.pubkey, `${peer.host}/signed`), ref);
    await imgsealPull(peer, regsD, policyFile('imp-a', a.pubkey, `${peer.host}/signed`), ref, /^imgseal: Source image rejected: Invalid GPG signature: signed by key [0-9A-F]{16}, which is not a trusted key$/);
    // The same verdicts from `imgseal policy check`.
    const pc = await imgseal(['policy', 'check', '--policy', policyFile('imp-b2', b.pubkey, `${peer.host}/signed`), '--registries.d', regsD, '--tls-verify=false', `docker://${ref}`]);
    assert.equal(pc.code, 0, pc.stderr);
  });

  test('buildah push --sign-by: imgseal accepts under that key, rejects under another, writing nothing', async (t) => {
    if (!requireTool('gpg', t)) return;
    const peer = reg.get(t);
    const bp = peer && pm.get(t);
    if (!peer || !bp) return;
    const regsD = registriesD(peer, bp);
    const local = await localImage(bp);
    const ref = `${peer.host}/signed/by-buildah:v1`;
    const push = await runPeerTool(bp, 'buildah', ['push', '-q', '--tls-verify=false', '--sign-by', a.fpr, local, `docker://${ref}`], { env: env(a) });
    assert.equal(push.code, 0, push.stderr);
    const digest = JSON.parse((await imgsealOk(['inspect', ...regFlags(peer, 'src'), `docker://${ref}`])).stdout).Digest as string;
    assert.ok(existsSync(sigPath('by-buildah', digest)), 'buildah staged signature-1');
    await imgsealPull(peer, regsD, policyFile('imb-a', a.pubkey, `${peer.host}/signed`), ref);
    await imgsealPull(peer, regsD, policyFile('imb-b', b.pubkey, `${peer.host}/signed`), ref, /^imgseal: Source image rejected: Invalid GPG signature: signed by key [0-9A-F]{16}, which is not a trusted key$/);
  });

  test('podman push --sign-by a signing subkey: imgseal accepts under the primary key; podman 4.3.1 rejects', async (t) => {
    if (!requireTool('gpg', t)) return;
    const peer = reg.get(t);
    const bp = peer && pm.get(t);
    if (!peer || !bp) return;
    const regsD = registriesD(peer, bp);
    const s = makeKey('signer-sub');
    execFileSync('gpg', ['--quiet', '--passphrase', '', '--quick-add-key', s.fpr, 'ed25519', 'sign', 'never'], { env: { ...process.env, GNUPGHOME: s.home }, stdio: 'pipe' });
    const fprs = execFileSync('gpg', ['--with-colons', '--list-keys', s.fpr], { env: { ...process.env, GNUPGHOME: s.home } }).toString().split('\n').filter((l) => l.startsWith('fpr:')).map((l) => l.split(':')[9]!);
    const sub = fprs[1]!;
    assert.ok(sub && sub !== s.fpr, 'a signing subkey');
    const keyring = join(s.state, 'with-subkey.gpg');
    writeFileSync(keyring, execFileSync('gpg', ['--export', s.fpr], { env: { ...process.env, GNUPGHOME: s.home } }));
    const local = await localImage(bp);
    const ref = `${peer.host}/signed/by-podman-subkey:v1`;
    // `FPR!` makes gpg use exactly that (sub)key.
    const push = await runPeerTool(bp, 'podman', ['push', '-q', '--tls-verify=false', '--sign-by', `${sub}!`, local, `docker://${ref}`], { env: env(s) });
    assert.equal(push.code, 0, push.stderr);
    const digest = JSON.parse((await imgsealOk(['inspect', ...regFlags(peer, 'src'), `docker://${ref}`])).stdout).Digest as string;
    const sig = sigPath('by-podman-subkey', digest);
    const packets = (await runTool('gpg', ['--list-packets', sig], { env: { ...process.env, GNUPGHOME: s.home } })).stdout;
    assert.match(packets, new RegExp(`keyid ${sub.slice(24)}`), 'podman signed with the subkey');
    await imgsealPull(peer, regsD, policyFile('ims-primary', keyring, `${peer.host}/signed`), ref);
    await imgsealPull(peer, regsD, policyFile('ims-other', a.pubkey, `${peer.host}/signed`), ref, /^imgseal: Source image rejected: Invalid GPG signature: signed by key [0-9A-F]{16}, which is not a trusted key$/);
    const own = await peerPull(bp, 'podman', policyFile('pms-primary', keyring, `${peer.host}/signed`), ref, false);
    assert.match(own, new RegExp(`Source image rejected: Signature by key ${sub} is not accepted`));
  });
});
