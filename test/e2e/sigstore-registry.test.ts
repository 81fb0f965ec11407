/**
 * Issue 9, cosign-style signatures, with the real programs: the registry peer, skopeo
 * 1.9.3 (reads and copies `.sig` attachments; its Debian build cannot sign or verify
 * sigstore signatures) and openssl.
 *   imgseal signs on push with a key from generate-sigstore-key → the attachment is the
 *   manifest/config/layer containers/image writes; openssl verifies the signature over the
 *   payload; imgseal verifies under sigstoreSigned with that key and rejects (writing
 *   nothing) with another;
 *   skopeo copies the image with its attachment to another repository byte for byte, and
 *   imgseal verifies the copy; the recorded vector goes through skopeo to dir: and verifies;
 *   negatives: tampered annotation, another digest, another reference, a corrupt key file,
 *   a wrong passphrase, attachments not enabled — one line each, nothing written.
 */
import assert from 'node:assert/strict';
import { createHash } from 'node:crypto';
import { cpSync, existsSync, mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { before, describe, test } from 'node:test';
import { buildLayout, buildMultiArchLayout, type BuiltImage } from '../testkit/image-builder.js';
import { useRegistryPeer, type RegistryPeer } from '../testkit/peers.js';
import { requireTool } from '../testkit/tools.js';
import { KEYS, assertOneLineFailure, imgseal, imgsealOk, isolation, regFlags, runTool, workDir } from './helpers.js';

const work = workDir('sigstore');
const FIX = new URL('../../../test/fixtures/signing/', import.meta.url).pathname;
const fix = (p: string): Buffer => readFileSync(join(FIX, p));
const OCI_MANIFEST = 'application/vnd.oci.image.manifest.v1+json';
const SIMPLESIGNING = 'application/vnd.dev.cosign.simplesigning.v1+json';
const SIG_ANNOTATION = 'dev.cosignproject.cosign/signature';
const sha256 = (b: Buffer | string): string => `sha256:${createHash('sha256').update(b).digest('hex')}`;
const sigTag = (digest: string): string => `${digest.replace(':', '-')}.sig`;

/** The raw registry API, independent of the code under test. */
class Raw {
  constructor(private readonly base: string) {}

  async manifest(repo: string, ref: string): Promise<{ status: number; type: string; bytes: Buffer }> {
    const r = await fetch(`${this.base}/v2/${repo}/manifests/${ref}`, { headers: { accept: OCI_MANIFEST } });
    return { status: r.status, type: r.headers.get('content-type') ?? '', bytes: Buffer.from(await r.arrayBuffer()) };
  }

  async blob(repo: string, digest: string): Promise<Buffer> {
    const r = await fetch(`${this.base}/v2/${repo}/blobs/${digest}`);
    assert.equal(r.status, 200, `blob ${digest} in ${repo}`);
    return Buffer.from(await r.arrayBuffer());
  }

  async putBlob(repo: string, bytes: Buffer): Promise<void> {
    const start = await fetch(`${this.base}/v2/${repo}/blobs/uploads/`, { method: 'POST' });
    assert.equal(start.status, 202);
    const loc = new URL(start.headers.get('location') ?? '', this.base);
    loc.searchParams.set('digest', sha256(bytes));
    const put = await fetch(loc, { method: 'PUT', body: bytes, headers: { 'content-type': 'application/octet-stream' } });
    assert.equal(put.status, 201, await put.text());
  }

  async putManifest(repo: string, ref: string, bytes: Buffer): Promise<void> {
    const r = await fetch(`${this.base}/v2/${repo}/manifests/${ref}`, { method: 'PUT', body: bytes, headers: { 'content-type': OCI_MANIFEST } });
    assert.equal(r.status, 201, await r.text());
  }

  /** The `.sig` attachment of `digest`: manifest, config and payload layers. */
  async attachment(repo: string, digest: string): Promise<{ manifest: Buffer; config: Buffer; layers: { desc: { mediaType: string; digest: string; size: number; annotations: Record<string, string> }; blob: Buffer }[] }> {
    const m = await this.manifest(repo, sigTag(digest));
    assert.equal(m.status, 200, `${sigTag(digest)} in ${repo}`);
    assert.equal(m.type, OCI_MANIFEST);
    const doc = JSON.parse(m.bytes.toString());
    const layers = [];
    for (const desc of doc.layers) layers.push({ desc, blob: await this.blob(repo, desc.digest) });
    return { manifest: m.bytes, config: await this.blob(repo, doc.config.digest), layers };
  }

  /** Pushes a hand-made attachment (containers/image's layout) with these layers. */
  async attach(repo: string, digest: string, layers: { payload: Buffer; annotations: Record<string, string> }[]): Promise<void> {
    const config = Buffer.from(JSON.stringify({ architecture: '', os: '', config: {}, rootfs: { type: 'layers', diff_ids: layers.map((l) => sha256(l.payload)) } }));
    for (const l of layers) await this.putBlob(repo, l.payload);
    await this.putBlob(repo, config);
    const manifest = {
      schemaVersion: 2,
      mediaType: OCI_MANIFEST,
      config: { mediaType: 'application/vnd.oci.image.config.v1+json', digest: sha256(config), size: config.length },
      layers: layers.map((l) => ({ mediaType: SIMPLESIGNING, digest: sha256(l.payload), size: l.payload.length, annotations: l.annotations })),
    };
    await this.putManifest(repo, sigTag(digest), Buffer.from(JSON.stringify(manifest)));
  }
}

describe('sigstore attachments with the registry, skopeo and openssl', { timeout: 900_000 }, () => {
  const reg = useRegistryPeer('plain');
  let img: BuiltImage;
  let imgDir: string;
  let keyA: string;
  let keyB: string;
  let regsD: string;
  let offRegsD: string;
  let vectorDir: string;

  before(async () => {
    imgDir = work.dir('img');
    img = await buildLayout(imgDir, [{ files: { 'hello.txt': 'cosign-style hello\n' }, compression: 'gzip' }]);
    keyA = work.dir('key-a');
    keyB = work.dir('key-b');
    await imgsealOk(['generate-sigstore-key', '--output-prefix', keyA], { env: { COSIGN_PASSWORD: 'pass-a' } });
    await imgsealOk(['generate-sigstore-key', '--output-prefix', keyB], { env: { COSIGN_PASSWORD: 'pass-b' } });
    // The recorded vector image as a dir: folder (skopeo's layout).
    vectorDir = work.dir('vector-dir');
    mkdirSync(vectorDir, { recursive: true });
    cpSync(join(FIX, 'image/manifest.json'), join(vectorDir, 'manifest.json'));
    for (const b of ['6ab312d5e0397ad4300be77b44d9ab82d223878a194be76713c3e3cc77a52081', 'c536483ea415cd321ad89c9a8574b9885288592267f6552d559bcc0ae5f0ea76']) cpSync(join(FIX, 'image', b), join(vectorDir, b));
    writeFileSync(join(vectorDir, 'version'), 'Directory Transport Version: 1.1\n');
  });

  const setup = (peer: RegistryPeer): void => {
    regsD = work.dir('registries.d');
    mkdirSync(regsD, { recursive: true });
    writeFileSync(join(regsD, 'sig.yaml'), `docker:\n  ${peer.host}/sig:\n    use-sigstore-attachments: true\n`);
    offRegsD = work.dir('registries.d-off');
    mkdirSync(offRegsD, { recursive: true });
    writeFileSync(join(offRegsD, 'sig.yaml'), `docker:\n  ${peer.host}/sig:\n    lookaside-staging: file://${work.dir('off-staging')}\n`);
  };

  const policy = (name: string, req: Record<string, unknown>, scope: string, transport = 'docker'): string => {
    const p = join(work.root, `${name}.json`);
    writeFileSync(p, JSON.stringify({ default: [{ type: 'reject' }], transports: { [transport]: { [scope]: [{ type: 'sigstoreSigned', ...req }] } } }));
    return p;
  };
  const skopeoEnv = (): NodeJS.ProcessEnv => ({ ...process.env, REGISTRY_AUTH_FILE: isolation().authFile });

  test('imgseal signs on push; the attachment is what containers/image writes; openssl verifies; sigstoreSigned accepts key A, rejects key B writing nothing', async (t) => {
    if (!requireTool('openssl', t)) return;
    const peer = reg.get(t);
    if (!peer) return;
    setup(peer);
    const raw = new Raw(peer.url);
    const dest = `docker://${peer.host}/sig/app:v1`;
    const before = Math.floor(Date.now() / 1000);
    await imgsealOk(['copy', '-q', '--insecure-policy', '--registries.d', regsD, '--sign-by-sigstore-private-key', `${keyA}.private`, ...regFlags(peer, 'dest'), `oci:${imgDir}`, dest], { env: { COSIGN_PASSWORD: 'pass-a' } });
    const digest = img.manifest.digest;
    const att = await raw.attachment('sig/app', digest);
    assert.equal(att.layers.length, 1);
    const [layer] = att.layers;
    const payload = layer!.blob;
    const p = JSON.parse(payload.toString());
    assert.equal(p.critical.type, 'cosign container image signature');
    assert.equal(p.critical.image['docker-manifest-digest'], digest);
    assert.equal(p.critical.identity['docker-reference'], `${peer.host}/sig/app:v1`);
    assert.equal(p.optional.creator, 'imgseal 0.1.0');
    assert.ok(Number.isInteger(p.optional.timestamp) && p.optional.timestamp >= before && p.optional.timestamp <= before + 300);
    // sorted compact JSON, as containers/image writes it
    assert.equal(payload.toString(), `{"critical":{"identity":{"docker-reference":"${peer.host}/sig/app:v1"},"image":{"docker-manifest-digest":"${digest}"},"type":"cosign container image signature"},"optional":{"creator":"imgseal 0.1.0","timestamp":${p.optional.timestamp}}}`);
    const expectedConfig = `{"architecture":"","os":"","config":{},"rootfs":{"type":"layers","diff_ids":["${sha256(payload)}"]}}`;
    assert.equal(att.config.toString(), expectedConfig);
    const b64 = layer!.desc.annotations[SIG_ANNOTATION]!;
    assert.equal(
      att.manifest.toString(),
      `{"schemaVersion":2,"mediaType":"${OCI_MANIFEST}","config":{"mediaType":"application/vnd.oci.image.config.v1+json","digest":"${sha256(expectedConfig)}","size":${expectedConfig.length}},"layers":[{"mediaType":"${SIMPLESIGNING}","digest":"${sha256(payload)}","size":${payload.length},"annotations":{"${SIG_ANNOTATION}":"${b64}"}}]}`,
    );
    // openssl: the annotation is a DER ECDSA signature over the exact payload bytes
    const payloadFile = join(work.root, 'app-payload.json');
    const sigFile = join(work.root, 'app-sig.der');
    writeFileSync(payloadFile, payload);
    writeFileSync(sigFile, Buffer.from(b64, 'base64'));
    const ok = await runTool('openssl', ['dgst', '-sha256', '-verify', `${keyA}.pub`, '-signature', sigFile, payloadFile]);
    assert.equal(ok.code, 0, ok.stderr);
    assert.match(ok.stdout, /Verified OK/);
    const bad = await runTool('openssl', ['dgst', '-sha256', '-verify', `${keyB}.pub`, '-signature', sigFile, payloadFile]);
    assert.notEqual(bad.code, 0);
    assert.match(bad.stdout, /Verification failure/);
    // imgseal verifies under sigstoreSigned: keyPath A accepts (and dir: keeps the signature), keyData A too
    const out = work.dir('app-ok');
    await imgsealOk(['copy', '-q', '--policy', policy('a-path', { keyPath: `${keyA}.pub` }, `${peer.host}/sig`), '--registries.d', regsD, ...regFlags(peer, 'src'), dest, `dir:${out}`]);
    const stored = readFileSync(join(out, 'signature-1'));
    assert.equal(stored.subarray(0, 15).toString('latin1'), '\x00sigstore-json\n');
    assert.deepEqual(Buffer.from(JSON.parse(stored.subarray(15).toString()).payload, 'base64'), payload);
    await imgsealOk(['copy', '-q', '--policy', policy('a-data', { keyData: readFileSync(`${keyA}.pub`).toString('base64') }, `${peer.host}/sig`), '--registries.d', regsD, ...regFlags(peer, 'src'), dest, `oci:${work.dir('app-ok-oci')}:v1`, '--remove-signatures']);
    // imgseal then verifies its own dir: copy with exactReference (dir: has no docker identity)
    await imgsealOk(['copy', '-q', '--policy', policy('a-dir', { keyPath: `${keyA}.pub`, signedIdentity: { type: 'exactReference', dockerReference: `${peer.host}/sig/app:v1` } }, out, 'dir'), `dir:${out}`, `oci:${work.dir('from-dir')}:v1`, '--remove-signatures']);
    // key B: rejected, nothing written
    const no = work.dir('app-rejected');
    const r = await imgseal(['copy', '-q', '--policy', policy('b-path', { keyPath: `${keyB}.pub` }, `${peer.host}/sig`), '--registries.d', regsD, ...regFlags(peer, 'src'), dest, `dir:${no}`]);
    assertOneLineFailure(r, /^imgseal: Source image rejected: cryptographic signature verification failed: invalid signature$/, 'key B');
    assert.equal(existsSync(no), false);
    // without use-sigstore-attachments the attachment is not read: no signature
    const off = await imgseal(['copy', '-q', '--policy', policy('a-off', { keyPath: `${keyA}.pub` }, `${peer.host}/sig`), '--registries.d', offRegsD, ...regFlags(peer, 'src'), dest, `dir:${work.dir('app-off')}`]);
    assertOneLineFailure(off, /^imgseal: Source image rejected: A signature was required, but no signature exists$/, 'attachments off');
    // signing again with key B adds a layer; signing again with the identical signature is skipped (same layer)
    await imgsealOk(['copy', '-q', '--insecure-policy', '--registries.d', regsD, '--sign-by-sigstore-private-key', `${keyB}.private`, ...regFlags(peer, 'dest'), ...regFlags(peer, 'src'), dest, dest], { env: { COSIGN_PASSWORD: 'pass-b' } });
    const two = await raw.attachment('sig/app', digest);
    assert.equal(two.layers.length, 2);
    assert.deepEqual(two.layers[0]!.blob, payload, 'the first signature stays first');
    assert.deepEqual(JSON.parse(two.config.toString()).rootfs.diff_ids, [sha256(payload), sha256(two.layers[1]!.blob)]);
    await imgsealOk(['copy', '-q', '--policy', policy('b-path2', { keyPath: `${keyB}.pub` }, `${peer.host}/sig`), '--registries.d', regsD, ...regFlags(peer, 'src'), dest, `dir:${work.dir('app-ok-b')}`]);
  });

  test('skopeo 1.9.3 copies the image with its .sig attachment unchanged; imgseal verifies the copy', async (t) => {
    if (!requireTool('skopeo', t)) return;
    const peer = reg.get(t);
    if (!peer) return;
    setup(peer);
    const raw = new Raw(peer.url);
    const src = `docker://${peer.host}/sig/by-skopeo-src:v1`;
    await imgsealOk(['copy', '-q', '--insecure-policy', '--registries.d', regsD, '--sign-by-sigstore-private-key', `${keyA}.private`, ...regFlags(peer, 'dest'), `oci:${imgDir}`, src], { env: { COSIGN_PASSWORD: 'pass-a' } });
    const copy = `docker://${peer.host}/sig/by-skopeo-copy:v1`;
    const s = await runTool('skopeo', ['--insecure-policy', '--registries.d', regsD, 'copy', '--src-tls-verify=false', '--dest-tls-verify=false', src, copy], { env: skopeoEnv() });
    assert.equal(s.code, 0, s.stderr);
    const a = await raw.attachment('sig/by-skopeo-src', img.manifest.digest);
    const b = await raw.attachment('sig/by-skopeo-copy', img.manifest.digest);
    assert.deepEqual(b.manifest, a.manifest, 'manifest bytes');
    assert.deepEqual(b.config, a.config, 'config bytes');
    assert.deepEqual(b.layers.map((l) => l.blob), a.layers.map((l) => l.blob), 'payload bytes');
    // The copy carries the source's identity: exactRepository on it accepts, the default matcher does not.
    const accept = policy('copy-exact', { keyPath: `${keyA}.pub`, signedIdentity: { type: 'exactRepository', dockerRepository: `${peer.host}/sig/by-skopeo-src` } }, `${peer.host}/sig`);
    await imgsealOk(['copy', '-q', '--policy', accept, '--registries.d', regsD, ...regFlags(peer, 'src'), copy, `dir:${work.dir('copy-ok')}`]);
    const no = work.dir('copy-default');
    const r = await imgseal(['copy', '-q', '--policy', policy('copy-default', { keyPath: `${keyA}.pub` }, `${peer.host}/sig`), '--registries.d', regsD, ...regFlags(peer, 'src'), copy, `dir:${no}`]);
    assertOneLineFailure(r, new RegExp(`^imgseal: Source image rejected: Signature for identity ${peer.host.replace(/\./g, '\\.')}/sig/by-skopeo-src:v1 is not accepted$`), 'another reference');
    assert.equal(existsSync(no), false);
  });

  test('the recorded vector: skopeo copies its attachment to dir: as recorded; imgseal verifies it there and in the registry, and re-writes it byte for byte', async (t) => {
    if (!requireTool('skopeo', t)) return;
    const peer = reg.get(t);
    if (!peer) return;
    setup(peer);
    const raw = new Raw(peer.url);
    const digest = sha256(fix('image/manifest.json'));
    await imgsealOk(['copy', '-q', '--insecure-policy', ...regFlags(peer, 'dest'), `dir:${vectorDir}`, `docker://${peer.host}/sig/small:v1`]);
    await raw.putBlob('sig/small', fix('sigstore-attachment/payload.json'));
    await raw.putBlob('sig/small', fix('sigstore-attachment/attachment-config.json'));
    await raw.putManifest('sig/small', sigTag(digest), fix('sigstore-attachment/attachment-manifest.json'));
    const identity = { type: 'exactReference', dockerReference: '127.0.0.1:5000/sig/small:v1' };
    // in the registry: key A accepts, key B rejects
    await imgsealOk(['copy', '-q', '--policy', policy('vec-reg-a', { keyPath: join(FIX, 'sigstore-attachment/cosign-a.pub'), signedIdentity: identity }, `${peer.host}/sig`), '--registries.d', regsD, ...regFlags(peer, 'src'), `docker://${peer.host}/sig/small:v1`, `dir:${work.dir('vec-reg-ok')}`]);
    const rb = await imgseal(['copy', '-q', '--policy', policy('vec-reg-b', { keyPath: join(FIX, 'sigstore-attachment/cosign-b.pub'), signedIdentity: identity }, `${peer.host}/sig`), '--registries.d', regsD, ...regFlags(peer, 'src'), `docker://${peer.host}/sig/small:v1`, `dir:${work.dir('vec-reg-b')}`]);
    assertOneLineFailure(rb, /cryptographic signature verification failed/, 'vector, key B');
    // skopeo to dir: stores the recorded signature-1
    const out = work.dir('vec-skopeo-dir');
    const s = await runTool('skopeo', ['--insecure-policy', '--registries.d', regsD, 'copy', '--src-tls-verify=false', `docker://${peer.host}/sig/small:v1`, `dir:${out}`], { env: skopeoEnv() });
    assert.equal(s.code, 0, s.stderr);
    assert.deepEqual(readFileSync(join(out, 'signature-1')), fix('sigstore-attachment/dir-transport-signature-1'));
    await imgsealOk(['copy', '-q', '--policy', policy('vec-dir-a', { keyData: fix('sigstore-attachment/cosign-a.pub').toString('base64'), signedIdentity: identity }, out, 'dir'), `dir:${out}`, `oci:${work.dir('vec-dir-ok')}:v1`, '--remove-signatures']);
    const no = work.dir('vec-dir-b');
    const rd = await imgseal(['copy', '-q', '--policy', policy('vec-dir-b', { keyData: fix('sigstore-attachment/cosign-b.pub').toString('base64'), signedIdentity: identity }, out, 'dir'), `dir:${out}`, `oci:${no}:v1`, '--remove-signatures']);
    assertOneLineFailure(rd, /^imgseal: Source image rejected: cryptographic signature verification failed: invalid signature$/, 'vector in dir:, key B');
    assert.equal(existsSync(no), false);
    // imgseal writes the attachment from dir: exactly as skopeo re-wrote it (containers/image's bytes)
    await imgsealOk(['copy', '-q', '--insecure-policy', '--registries.d', regsD, ...regFlags(peer, 'dest'), `dir:${out}`, `docker://${peer.host}/sig/rewritten:v1`]);
    const rw = await raw.attachment('sig/rewritten', digest);
    assert.deepEqual(rw.manifest, fix('sigstore-attachment/attachment-manifest.rewritten-by-skopeo.json'));
    assert.deepEqual(rw.config, fix('sigstore-attachment/attachment-config.rewritten-by-skopeo.json'));
  });

  test('an index with --all: each instance and the index get their own .sig; a pull of one platform is judged by that instance\'s signature', async (t) => {
    const peer = reg.get(t);
    if (!peer) return;
    setup(peer);
    const raw = new Raw(peer.url);
    const dir = work.dir('multi');
    const multi = await buildMultiArchLayout(dir, { ref: 'v1' });
    const dest = `docker://${peer.host}/sig/multi:v1`;
    await imgsealOk(['copy', '-q', '--all', '--insecure-policy', '--registries.d', regsD, '--sign-by-sigstore-private-key', `${keyA}.private`, ...regFlags(peer, 'dest'), `oci:${dir}:v1`, dest], { env: { COSIGN_PASSWORD: 'pass-a' } });
    for (const digest of [multi.index.digest, ...multi.images.map((i) => i.manifest.digest)]) {
      const att = await raw.attachment('sig/multi', digest);
      assert.equal(att.layers.length, 1, digest);
      const p = JSON.parse(att.layers[0]!.blob.toString());
      assert.equal(p.critical.image['docker-manifest-digest'], digest);
      assert.equal(p.critical.identity['docker-reference'], `${peer.host}/sig/multi:v1`);
    }
    const pol = policy('multi-a', { keyPath: `${keyA}.pub` }, `${peer.host}/sig`);
    await imgsealOk(['copy', '-q', '--policy', pol, '--registries.d', regsD, '--platform', 'linux/arm64', ...regFlags(peer, 'src'), dest, `oci:${work.dir('multi-arm')}:v1`, '--remove-signatures']);
    // the arm64 instance's attachment replaced by a broken one: that platform is rejected, the other still accepted
    const armDigest = multi.images[1]!.manifest.digest;
    await raw.attach('sig/multi', armDigest, [{ payload: Buffer.from('{}'), annotations: { [SIG_ANNOTATION]: 'AAAA' } }]);
    const no = work.dir('multi-arm-no');
    const r = await imgseal(['copy', '-q', '--policy', pol, '--registries.d', regsD, '--platform', 'linux/arm64', ...regFlags(peer, 'src'), dest, `oci:${no}:v1`, '--remove-signatures']);
    assertOneLineFailure(r, /^imgseal: Source image rejected: cryptographic signature verification failed: invalid signature$/, 'arm64 without its signature');
    assert.equal(existsSync(no), false);
    await imgsealOk(['copy', '-q', '--policy', pol, '--registries.d', regsD, '--platform', 'linux/amd64', ...regFlags(peer, 'src'), dest, `oci:${work.dir('multi-amd')}:v1`, '--remove-signatures']);
  });

  test('encrypted on the way and signed: the signature names the encrypted manifest as pushed, and verifies before decryption', async (t) => {
    const peer = reg.get(t);
    if (!peer) return;
    setup(peer);
    const raw = new Raw(peer.url);
    const dest = `docker://${peer.host}/sig/encrypted:v1`;
    await imgsealOk(['copy', '-q', '--insecure-policy', '--registries.d', regsD, '--encryption-key', `jwe:${KEYS.rsa.pub}`, '--sign-by-sigstore-private-key', `${keyA}.private`, ...regFlags(peer, 'dest'), `oci:${imgDir}`, dest], { env: { COSIGN_PASSWORD: 'pass-a' } });
    const pushed = await raw.manifest('sig/encrypted', 'v1');
    assert.equal(pushed.status, 200);
    const pushedDigest = sha256(pushed.bytes);
    assert.notEqual(pushedDigest, img.manifest.digest, 'encrypting changed the manifest');
    assert.match(pushed.bytes.toString(), /\+encrypted/);
    const att = await raw.attachment('sig/encrypted', pushedDigest);
    assert.equal(JSON.parse(att.layers[0]!.blob.toString()).critical.image['docker-manifest-digest'], pushedDigest);
    assert.equal((await raw.manifest('sig/encrypted', sigTag(img.manifest.digest))).status, 404, 'nothing signed the plaintext manifest');
    const out = work.dir('decrypted');
    await imgsealOk(['copy', '-q', '--policy', policy('enc-a', { keyPath: `${keyA}.pub` }, `${peer.host}/sig`), '--registries.d', regsD, '--decryption-key', KEYS.rsa.priv, ...regFlags(peer, 'src'), dest, `oci:${out}:v1`, '--remove-signatures']);
    const no = work.dir('decrypted-b');
    const r = await imgseal(['copy', '-q', '--policy', policy('enc-b', { keyPath: `${keyB}.pub` }, `${peer.host}/sig`), '--registries.d', regsD, '--decryption-key', KEYS.rsa.priv, ...regFlags(peer, 'src'), dest, `oci:${no}:v1`, '--remove-signatures']);
    assertOneLineFailure(r, /^imgseal: Source image rejected: cryptographic signature verification failed: invalid signature$/, 'encrypted, key B');
    assert.equal(existsSync(no), false);
  });

  test('negatives: tampered annotation, another digest, corrupt key, wrong passphrase, attachments disabled — one line, nothing written', async (t) => {
    const peer = reg.get(t);
    if (!peer) return;
    setup(peer);
    const raw = new Raw(peer.url);
    const digest = img.manifest.digest;
    const pol = policy('neg-a', { keyPath: `${keyA}.pub`, signedIdentity: { type: 'matchRepository' } }, `${peer.host}/sig`);
    // a good signature made by imgseal, then tampered
    await imgsealOk(['copy', '-q', '--insecure-policy', '--registries.d', regsD, '--sign-by-sigstore-private-key', `${keyA}.private`, ...regFlags(peer, 'dest'), `oci:${imgDir}`, `docker://${peer.host}/sig/tampered:v1`], { env: { COSIGN_PASSWORD: 'pass-a' } });
    const good = await raw.attachment('sig/tampered', digest);
    const sig = Buffer.from(good.layers[0]!.desc.annotations[SIG_ANNOTATION]!, 'base64');
    sig[sig.length - 1]! ^= 0x01;
    await raw.attach('sig/tampered', digest, [{ payload: good.layers[0]!.blob, annotations: { [SIG_ANNOTATION]: sig.toString('base64') } }]);
    const t1 = work.dir('neg-tampered');
    assertOneLineFailure(
      await imgseal(['copy', '-q', '--policy', pol, '--registries.d', regsD, ...regFlags(peer, 'src'), `docker://${peer.host}/sig/tampered:v1`, `dir:${t1}`]),
      /^imgseal: Source image rejected: cryptographic signature verification failed: invalid signature$/,
      'tampered',
    );
    assert.equal(existsSync(t1), false);
    // a valid signature of the vector's digest, attached to this image's digest
    const otherDir = work.dir('img-other');
    const other = await buildLayout(otherDir, [{ files: { 'other.txt': 'other\n' }, compression: 'gzip' }]);
    await imgsealOk(['copy', '-q', '--insecure-policy', '--registries.d', regsD, '--sign-by-sigstore-private-key', `${keyA}.private`, ...regFlags(peer, 'dest'), `oci:${otherDir}`, `docker://${peer.host}/sig/other:v1`], { env: { COSIGN_PASSWORD: 'pass-a' } });
    const otherAtt = await raw.attachment('sig/other', other.manifest.digest);
    await imgsealOk(['copy', '-q', '--insecure-policy', ...regFlags(peer, 'dest'), `oci:${imgDir}`, `docker://${peer.host}/sig/moved:v1`]);
    await raw.attach('sig/moved', digest, [{ payload: otherAtt.layers[0]!.blob, annotations: otherAtt.layers[0]!.desc.annotations }]);
    const t2 = work.dir('neg-digest');
    assertOneLineFailure(
      await imgseal(['copy', '-q', '--policy', pol, '--registries.d', regsD, ...regFlags(peer, 'src'), `docker://${peer.host}/sig/moved:v1`, `dir:${t2}`]),
      new RegExp(`^imgseal: Source image rejected: Signature for docker digest "${other.manifest.digest}" does not match$`),
      'another digest',
    );
    assert.equal(existsSync(t2), false);
    // signing failures write nothing at all: no tag, no .sig
    const corrupt = join(work.root, 'corrupt.private');
    const text = readFileSync(`${keyA}.private`, 'utf8').split('\n');
    text[2] = text[2]!.replace(/^./, (c) => (c === 'A' ? 'B' : 'A'));
    writeFileSync(corrupt, text.join('\n'));
    const fresh = (name: string) => `docker://${peer.host}/sig/${name}:v1`;
    const cases: [string, string[], Record<string, string>, RegExp][] = [
      ['corrupt', ['--sign-by-sigstore-private-key', corrupt], { COSIGN_PASSWORD: 'pass-a' }, /^imgseal: .*corrupt\.private: (decrypt: incorrect passphrase \(or a damaged key file\)|the encrypted key is not JSON.*)$/],
      ['wrongpass', ['--sign-by-sigstore-private-key', `${keyA}.private`], { COSIGN_PASSWORD: 'not-pass-a' }, /^imgseal: .*key-a-\d+\.private: decrypt: incorrect passphrase \(or a damaged key file\)$/],
      ['notakey', ['--sign-by-sigstore-private-key', `${keyA}.pub`], { COSIGN_PASSWORD: 'pass-a' }, /^imgseal: .*key-a-\d+\.pub: a PEM block of type "PUBLIC KEY", not ENCRYPTED SIGSTORE PRIVATE KEY/],
    ];
    for (const [name, flags, env, re] of cases) {
      const r = await imgseal(['copy', '-q', '--insecure-policy', '--registries.d', regsD, ...flags, ...regFlags(peer, 'dest'), `oci:${imgDir}`, fresh(name)], { env });
      const line = assertOneLineFailure(r, re, name);
      assert.ok(!line.includes(env.COSIGN_PASSWORD!), 'the passphrase is not printed');
      assert.equal((await raw.manifest(`sig/${name}`, 'v1')).status, 404, `${name}: no tag`);
      assert.equal((await raw.manifest(`sig/${name}`, sigTag(digest))).status, 404, `${name}: no .sig`);
    }
    const off = await imgseal(['copy', '-q', '--insecure-policy', '--registries.d', offRegsD, '--sign-by-sigstore-private-key', `${keyA}.private`, ...regFlags(peer, 'dest'), `oci:${imgDir}`, fresh('disabled')], { env: { COSIGN_PASSWORD: 'pass-a' } });
    assertOneLineFailure(off, /^imgseal: Can not store sigstore signatures at docker:\/\/.*\/sig\/disabled:v1: writing sigstore attachments is disabled by configuration/, 'disabled');
    assert.equal((await raw.manifest('sig/disabled', 'v1')).status, 404);
    assert.equal((await raw.manifest('sig/disabled', sigTag(digest))).status, 404);
  });
});
