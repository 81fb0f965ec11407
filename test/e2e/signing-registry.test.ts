/**
 * Issue 9 end to end with the real programs: the registry peer, GnuPG keys from
 * test/peers/gpg/make-key.sh, skopeo 1.9.3 and a loopback web server that serves the
 * lookaside folder read-only (as the seed's web server does).
 *   imgseal --sign-by on push → skopeo accepts under signedBy key A, rejects under key B;
 *   skopeo --sign-by on push → imgseal accepts / rejects (writing nothing);
 *   gpg --verify accepts imgseal's signature; an unreachable lookaside fails the copy.
 */
import assert from 'node:assert/strict';
import { existsSync, mkdirSync, readFileSync, statSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { after, before, describe, test } from 'node:test';
import { buildLayout, type BuiltImage } from '../testkit/image-builder.js';
import { serveReadOnly, type LookasideServer } from '../testkit/lookaside-server.js';
import { GpgKeys, signedByPolicyFile, type GpgKey } from '../testkit/gpg-keys.js';
import { useRegistryPeer, type RegistryPeer } from '../testkit/peers.js';
import { requireTool } from '../testkit/tools.js';
import { imgseal, imgsealOk, regFlags, runTool, isolation, workDir, assertOneLineFailure } from './helpers.js';

const work = workDir('signing');

type Gpg = GpgKey;
const keys = new GpgKeys((label) => work.dir(label));
const makeKey = (name: string): Gpg => keys.make(name);
const policyFile = (name: string, keyring: string, scope: string): string => signedByPolicyFile(work.root, name, keyring, scope);

describe('signing and policy with skopeo, gpg and the registry', { timeout: 600_000 }, () => {
  const reg = useRegistryPeer('plain');
  let a: Gpg;
  let b: Gpg;
  let img: BuiltImage;
  let imgDir: string;
  let staging: string;
  let web: LookasideServer;
  let regsD: string;
  let deadRegsD: string;

  before(async () => {
    if (!(await import('../testkit/tools.js')).haveTool('gpg')) return;
    a = makeKey('signer-a');
    b = makeKey('signer-b');
    imgDir = work.dir('img');
    img = await buildLayout(imgDir, [{ files: { 'hello.txt': 'signed hello\n' }, compression: 'gzip' }]);
    staging = work.dir('staging');
    mkdirSync(staging, { recursive: true });
    web = await serveReadOnly(staging);
  });
  after(async () => {
    await web?.close();
    keys.stopAll();
  });

  const setup = (peer: RegistryPeer): void => {
    regsD = work.dir('registries.d');
    mkdirSync(regsD, { recursive: true });
    writeFileSync(join(regsD, 'test.yaml'), `docker:\n  ${peer.host}/signed:\n    lookaside: ${web.url}\n    lookaside-staging: file://${staging}\n`);
    deadRegsD = work.dir('registries.d-dead');
    mkdirSync(deadRegsD, { recursive: true });
    writeFileSync(join(deadRegsD, 'test.yaml'), `docker:\n  ${peer.host}/signed:\n    lookaside: http://127.0.0.1:9\n`);
  };

  test('imgseal signs on push; skopeo accepts under key A, rejects under key B; gpg --verify accepts', async (t) => {
    if (!requireTool('skopeo', t) || !requireTool('gpg', t)) return;
    const peer = reg.get(t);
    if (!peer) return;
    setup(peer);
    const dest = `docker://${peer.host}/signed/by-imgseal:v1`;
    await imgsealOk(['copy', '-q', '--insecure-policy', '--registries.d', regsD, '--sign-by', a.fpr, ...regFlags(peer, 'dest'), `oci:${imgDir}`, dest], { env: { GNUPGHOME: a.home } });
    const sigPath = join(staging, `signed/by-imgseal@sha256=${img.manifest.digest.slice(7)}`, 'signature-1');
    assert.ok(existsSync(sigPath), 'signature-1 in the staging lookaside');
    assert.equal(statSync(sigPath).mode & 0o777, 0o644);
    const v = await runTool('gpg', ['--batch', '--verify', sigPath], { env: { ...process.env, GNUPGHOME: a.home } });
    assert.equal(v.code, 0, `gpg --verify: ${v.stderr}`);
    const env = { ...process.env, REGISTRY_AUTH_FILE: isolation().authFile };
    const okOut = work.dir('skopeo-ok');
    const ok = await runTool('skopeo', ['--policy', policyFile('pol-a', a.pubkey, `${peer.host}/signed`), '--registries.d', regsD, 'copy', '--src-tls-verify=false', dest, `dir:${okOut}`], { env });
    assert.equal(ok.code, 0, `skopeo under key A: ${ok.stderr}`);
    assert.deepEqual(readFileSync(join(okOut, 'signature-1')), readFileSync(sigPath), 'skopeo stored our signature unchanged');
    const bad = await runTool('skopeo', ['--policy', policyFile('pol-b', b.pubkey, `${peer.host}/signed`), '--registries.d', regsD, 'copy', '--src-tls-verify=false', dest, `dir:${work.dir('skopeo-bad')}`], { env });
    assert.equal(bad.code, 1);
    assert.match(bad.stderr, /Source image rejected/);
    // Our own verifier agrees, and writes nothing when it rejects.
    const ours = work.dir('ours-ok');
    await imgsealOk(['copy', '-q', '--policy', policyFile('pol-a2', a.pubkey, `${peer.host}/signed`), '--registries.d', regsD, ...regFlags(peer, 'src'), dest, `dir:${ours}`]);
    assert.ok(existsSync(join(ours, 'signature-1')));
    const rejectedDir = work.dir('ours-rejected');
    const r = await imgseal(['copy', '-q', '--policy', policyFile('pol-b2', b.pubkey, `${peer.host}/signed`), '--registries.d', regsD, ...regFlags(peer, 'src'), dest, `dir:${rejectedDir}`]);
    assertOneLineFailure(r, /^imgseal: Source image rejected: Invalid GPG signature: signed by key [0-9A-F]{16}, which is not a trusted key$/, 'wrong key');
    assert.equal(existsSync(rejectedDir), false);
    // policy check says the same, with exit codes 0 and 1
    const pc = await imgseal(['policy', 'check', '--policy', policyFile('pol-a3', a.pubkey, `${peer.host}/signed`), '--registries.d', regsD, ...regFlags(peer, 'src').map((f) => f.replace('--src-', '--')), dest]);
    assert.equal(pc.code, 0, pc.stderr);
    assert.match(pc.stdout, /^accepted: docker:\/\/.*signed\/by-imgseal:v1/);
    const pcBad = await imgseal(['policy', 'check', '--json', '--policy', policyFile('pol-b3', b.pubkey, `${peer.host}/signed`), '--registries.d', regsD, ...regFlags(peer, 'src').map((f) => f.replace('--src-', '--')), dest]);
    assert.equal(pcBad.code, 1);
    assert.equal(JSON.parse(pcBad.stdout).verdicts[0].accepted, false);
  });

  test('skopeo signs on push; imgseal accepts under key B and rejects under key A, writing nothing', async (t) => {
    if (!requireTool('skopeo', t) || !requireTool('gpg', t)) return;
    const peer = reg.get(t);
    if (!peer) return;
    setup(peer);
    const dest = `docker://${peer.host}/signed/by-skopeo:v1`;
    const env = { ...process.env, GNUPGHOME: b.home, REGISTRY_AUTH_FILE: isolation().authFile };
    const push = await runTool('skopeo', ['--insecure-policy', '--registries.d', regsD, 'copy', '--dest-tls-verify=false', '--sign-by', b.fpr, `oci:${imgDir}`, dest], { env });
    assert.equal(push.code, 0, push.stderr);
    const out = work.dir('from-skopeo');
    await imgsealOk(['copy', '-q', '--policy', policyFile('pol-b4', b.pubkey, `${peer.host}/signed`), '--registries.d', regsD, ...regFlags(peer, 'src'), dest, `oci:${out}:v1`, '--remove-signatures']);
    assert.ok(existsSync(join(out, 'index.json')));
    const no = work.dir('from-skopeo-rejected');
    const r = await imgseal(['copy', '-q', '--policy', policyFile('pol-a4', a.pubkey, `${peer.host}/signed`), '--registries.d', regsD, ...regFlags(peer, 'src'), dest, `oci:${no}:v1`]);
    assertOneLineFailure(r, /^imgseal: Source image rejected: /, 'key A');
    assert.equal(existsSync(no), false);
    // An image pushed without signature under the same scope: "no signature exists".
    const unsigned = `docker://${peer.host}/signed/unsigned:v1`;
    await imgsealOk(['copy', '-q', '--insecure-policy', ...regFlags(peer, 'dest'), `oci:${imgDir}`, unsigned]);
    const u = await imgseal(['copy', '-q', '--policy', policyFile('pol-b5', b.pubkey, `${peer.host}/signed`), '--registries.d', regsD, ...regFlags(peer, 'src'), unsigned, `dir:${work.dir('u')}`]);
    // Same manifest digest as by-skopeo, but another repository path: its own lookaside folder, empty.
    assertOneLineFailure(u, /^imgseal: Source image rejected: A signature was required, but no signature exists$/, 'unsigned');
  });

  test('an unreachable lookaside fails the copy and writes nothing; a malformed policy names the field', async (t) => {
    if (!requireTool('gpg', t)) return;
    const peer = reg.get(t);
    if (!peer) return;
    setup(peer);
    const out = work.dir('dead');
    const r = await imgseal(['copy', '-q', '--policy', policyFile('pol-a5', a.pubkey, `${peer.host}/signed`), '--registries.d', deadRegsD, ...regFlags(peer, 'src'), `docker://${peer.host}/signed/by-imgseal:v1`, `dir:${out}`]);
    assertOneLineFailure(r, /^imgseal: reading signature from http:\/\/127\.0\.0\.1:9\/signed\/by-imgseal@sha256=[0-9a-f]{64}\/signature-1: dial tcp 127\.0\.0\.1:9: connect: connection refused$/, 'dead lookaside');
    assert.equal(existsSync(out), false);
    const badPolicy = join(work.root, 'bad-policy.json');
    writeFileSync(badPolicy, '{"default":[{"type":"signedBy","keyType":"GPGKeys","keyPath":"/k","keyPaths":["/k"]}]}');
    const m = await imgseal(['copy', '-q', '--policy', badPolicy, `oci:${imgDir}`, `dir:${work.dir('never')}`]);
    assertOneLineFailure(m, new RegExp(`^imgseal: invalid policy in "${badPolicy}": default\\[0\\]: keyPath, keyPaths and keyData cannot be combined$`), 'malformed policy');
  });
});
