/**
 * Credentials and TLS through the CLI, against the tls-basic registry peer (HTTPS with
 * a throwaway CA, htpasswd basic auth): a wrong password, a missing CA and an unknown
 * host each exit 1 with one clear line; `imgseal login` with a wrong password exits 1
 * and writes nothing, with the right one writes auth.json (0600) that a later
 * `imgseal copy --authfile` uses without --creds; `imgseal logout` removes it again.
 */
import assert from 'node:assert/strict';
import { existsSync, readFileSync, statSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { before, describe, test } from 'node:test';
import { buildLayout, type BuiltImage } from '../testkit/image-builder.js';
import { readImage } from '../testkit/image-reader.js';
import { useRegistryPeer } from '../testkit/peers.js';
import { assertOneLineFailure, assertSameImage, imgseal, imgsealOk, skopeo, workDir } from './helpers.js';

const work = workDir('auth');
let srcDir: string;
let orig: BuiltImage;

before(async () => {
  srcDir = work.dir('src');
  orig = await buildLayout(srcDir, [{ files: { 'auth.txt': 'pushed with credentials\n' }, compression: 'gzip' }]);
});

describe('credentials and TLS (tls-basic registry peer)', { timeout: 120_000 }, () => {
  const reg = useRegistryPeer('tls-basic');

  test('wrong password → exit 1, one line, no tag pushed; the password is not printed', async (t) => {
    const peer = reg.get(t);
    if (!peer) return;
    const r = await imgseal(['copy', '-q', `oci:${srcDir}:base`, `docker://${peer.host}/auth/app:wrong`, '--dest-cert-dir', peer.certDir!, '--dest-creds', `${peer.user}:not-the-password-42`]);
    assertOneLineFailure(r, /unauthorized|authentication required/i, 'wrong password (push)');
    assert.ok(!r.stderr.includes('not-the-password-42'), 'the password is not printed');
    const pull = await imgseal(['copy', '-q', `docker://${peer.host}/auth/app:wrong`, `oci:${work.dir('o')}:x`, '--src-cert-dir', peer.certDir!, '--src-creds', `${peer.user}:not-the-password-42`]);
    assertOneLineFailure(pull, /unauthorized|authentication required/i, 'wrong password (pull)');
    await assert.rejects(
      skopeo(['inspect', '--raw', '--cert-dir', peer.certDir!, '--creds', `${peer.user}:${peer.password}`, `docker://${peer.host}/auth/app:wrong`]),
      /manifest unknown|not found/i,
    );
  });

  test('no CA (no --dest-cert-dir) → exit 1, one line about the certificate', async (t) => {
    const peer = reg.get(t);
    if (!peer) return;
    const r = await imgseal(['copy', '-q', `oci:${srcDir}:base`, `docker://${peer.host}/auth/app:noca`, '--dest-creds', `${peer.user}:${peer.password}`]);
    assertOneLineFailure(r, /certificate|x509/i, 'no CA');
    const i = await imgseal(['inspect', `docker://${peer.host}/auth/app:noca`, '--src-creds', `${peer.user}:${peer.password}`]);
    assertOneLineFailure(i, /certificate|x509/i, 'no CA (inspect)');
  });

  test('inspect and layerinfo take skopeo inspect\'s --creds, --cert-dir and --tls-verify', async (t) => {
    const peer = reg.get(t);
    if (!peer) return;
    const ref = `docker://${peer.host}/auth/app:plainflags`;
    const push = await imgseal(['copy', '-q', `oci:${srcDir}:base`, ref, '--dest-cert-dir', peer.certDir!, '--dest-creds', `${peer.user}:${peer.password}`]);
    assert.equal(push.code, 0, push.stderr);
    const i = await imgseal(['inspect', ref, '--cert-dir', peer.certDir!, '--creds', `${peer.user}:${peer.password}`]);
    assert.equal(i.code, 0, i.stderr);
    assert.match(JSON.parse(i.stdout).Digest, /^sha256:/);
    const l = await imgseal(['layerinfo', '--json', ref, '--tls-verify=false', '--creds', `${peer.user}:${peer.password}`]);
    assert.equal(l.code, 0, l.stderr);
    assert.ok(JSON.parse(l.stdout).length > 0);
    const denied = await imgseal(['inspect', ref, '--cert-dir', peer.certDir!]);
    assertOneLineFailure(denied, /unauthorized|authentication/i, 'no creds (inspect)');
  });

  test('unknown host and a closed port → exit 1, one line each', async () => {
    const r = await imgseal(['copy', '-q', `oci:${srcDir}:base`, 'docker://no-such-registry.invalid/app:v1']);
    assertOneLineFailure(r, /no-such-registry\.invalid.*(no such host|not found|ENOTFOUND|EAI_AGAIN|lookup)/i, 'unknown host');
    const c = await imgseal(['copy', '-q', 'docker://127.0.0.1:1/app:v1', `oci:${work.dir('o')}:x`, '--src-tls-verify=false']);
    assertOneLineFailure(c, /127\.0\.0\.1:1.*(refused|ECONNREFUSED)/i, 'closed port');
  });

  test('login: wrong password exits 1 and writes nothing; right password writes auth.json 0600, used by copy --authfile; logout removes it', async (t) => {
    const peer = reg.get(t);
    if (!peer) return;
    const authFile = join(work.root, 'login-auth.json');
    const wrong = await imgseal(['login', '-u', peer.user!, '-p', 'wrong-password-7', '--cert-dir', peer.certDir!, '--authfile', authFile, peer.host]);
    assertOneLineFailure(wrong, /unauthorized|authentication|credentials/i, 'login with a wrong password');
    assert.ok(!wrong.stderr.includes('wrong-password-7'));
    assert.equal(existsSync(authFile), false, 'no auth.json written');

    // An existing file is not touched by a failed login either.
    writeFileSync(authFile, '{"auths":{}}\n');
    const again = await imgseal(['login', '-u', peer.user!, '-p', 'wrong-password-7', '--cert-dir', peer.certDir!, '--authfile', authFile, peer.host]);
    assert.equal(again.code, 1);
    assert.equal(readFileSync(authFile, 'utf8'), '{"auths":{}}\n', 'existing auth.json unchanged');

    const ok = await imgsealOk(['login', '-u', peer.user!, '-p', peer.password!, '--cert-dir', peer.certDir!, '--authfile', authFile, peer.host]);
    assert.ok(!ok.stdout.includes(peer.password!) && !ok.stderr.includes(peer.password!), 'the password is not printed');
    assert.equal(statSync(authFile).mode & 0o777, 0o600, 'auth.json is mode 0600');
    const saved = JSON.parse(readFileSync(authFile, 'utf8')) as { auths: Record<string, { auth: string }> };
    assert.equal(Buffer.from(saved.auths[peer.host]!.auth, 'base64').toString(), `${peer.user}:${peer.password}`);

    const ref = `docker://${peer.host}/auth/app:login`;
    await imgsealOk(['copy', '-q', `oci:${srcDir}:base`, ref, '--dest-cert-dir', peer.certDir!, '--authfile', authFile]);
    const out = work.dir('pulled');
    await imgsealOk(['copy', '-q', ref, `oci:${out}:x`, '--src-cert-dir', peer.certDir!, '--authfile', authFile]);
    assertSameImage(await readImage(out, 'x'), orig, 'pushed and pulled with --authfile');
    // skopeo reads the same auth.json format.
    await skopeo(['inspect', '--raw', '--cert-dir', peer.certDir!, '--authfile', authFile, ref]);

    await imgsealOk(['logout', '--authfile', authFile, peer.host]);
    const left = JSON.parse(readFileSync(authFile, 'utf8')) as { auths?: Record<string, unknown> };
    assert.equal(left.auths?.[peer.host], undefined, 'logout removed the entry');
    const denied = await imgseal(['copy', '-q', ref, `oci:${work.dir('o')}:x`, '--src-cert-dir', peer.certDir!, '--authfile', authFile]);
    assertOneLineFailure(denied, /unauthorized|authentication required/i, 'after logout');
  });
});
