/**
 * skopeo's per-side credential flags through the CLI, against the token-auth registry
 * peer: `--src-authfile` / `--dest-authfile` override `--authfile` for their side,
 * `--src-no-creds` ignores every auth file, `--registry-token` is sent as the bearer
 * token as is (a refused one fails with one line), and contradictory flags are usage
 * errors (exit 2).
 */
import assert from 'node:assert/strict';
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { before, describe, test } from 'node:test';
import { request } from 'undici';
import { parseChallenges } from '../../src/http/index.js';
import { buildLayout } from '../testkit/image-builder.js';
import { peerWith, useRegistryPeer, type RegistryPeer } from '../testkit/peers.js';
import { assertOneLineFailure, imgseal, imgsealOk, regFlags, workDir } from './helpers.js';

const work = workDir('regflags');
let srcDir: string;

before(async () => {
  srcDir = work.dir('src');
  await buildLayout(srcDir, [{ files: { 'f.txt': 'flags\n' }, compression: 'gzip' }]);
});

function authFile(name: string, peer: RegistryPeer, password: string): string {
  const file = join(work.root, `${name}.json`);
  writeFileSync(file, JSON.stringify({ auths: { [peer.host]: { auth: Buffer.from(`${peer.user}:${password}`).toString('base64') } } }), { mode: 0o600 });
  return file;
}

/** A bearer token from the peer's token server, as a CI system would hand one over. */
async function fetchToken(peer: RegistryPeer, scope: string): Promise<string> {
  const ping = await request(`${peer.url}/v2/`);
  await ping.body.dump();
  const ch = parseChallenges(ping.headers['www-authenticate']).find((c) => c.scheme === 'bearer');
  assert.ok(ch?.params.realm, 'the registry asks for a bearer token');
  const url = new URL(ch.params.realm);
  if (ch.params.service) url.searchParams.set('service', ch.params.service);
  url.searchParams.set('scope', scope);
  const res = await request(url, { headers: { authorization: `Basic ${Buffer.from(`${peer.user}:${peer.password}`).toString('base64')}` } });
  assert.equal(res.statusCode, 200);
  const doc = (await res.body.json()) as { token?: string; access_token?: string };
  const token = doc.token ?? doc.access_token;
  assert.ok(token);
  return token;
}

describe('per-side credential flags (token-auth registry peer)', { timeout: 120_000 }, () => {
  const reg = useRegistryPeer('token');

  test('--dest-authfile and --src-authfile override --authfile for their side only', async (t) => {
    const peer = peerWith(t, reg.get(t), 'user', 'password');
    if (!peer) return;
    const good = authFile('good', peer, peer.password);
    const bad = authFile('bad', peer, 'wrong-password-3');
    const tls = regFlags(peer, 'dest', { creds: false });
    await imgsealOk(['copy', '-q', `oci:${srcDir}:base`, `docker://${peer.host}/flags/app:v1`, ...tls, '--authfile', bad, '--dest-authfile', good]);
    const r = await imgseal(['copy', '-q', `oci:${srcDir}:base`, `docker://${peer.host}/flags/app:v2`, ...tls, '--authfile', good, '--dest-authfile', bad]);
    const line = assertOneLineFailure(r, /invalid username\/password/, 'a wrong --dest-authfile wins over a good --authfile');
    assert.ok(!line.includes('wrong-password-3'));
    const out = work.dir('pulled');
    await imgsealOk(['copy', '-q', `docker://${peer.host}/flags/app:v1`, `oci:${out}:x`, ...regFlags(peer, 'src', { creds: false }), '--authfile', bad, '--src-authfile', good]);
  });

  test('--src-no-creds reads no auth file; --no-creds likewise for inspect', async (t) => {
    const peer = peerWith(t, reg.get(t), 'user', 'password');
    if (!peer) return;
    const good = authFile('good2', peer, peer.password);
    await imgsealOk(['copy', '-q', `oci:${srcDir}:base`, `docker://${peer.host}/flags/anon:v1`, ...regFlags(peer, 'dest')]);
    const src = regFlags(peer, 'src', { creds: false });
    const anon = await imgseal(['copy', '-q', `docker://${peer.host}/flags/anon:v1`, `oci:${work.dir('anon')}:x`, ...src, '--authfile', good, '--src-no-creds']);
    assertOneLineFailure(anon, /no credentials/, '--src-no-creds ignores the auth file');
    await imgsealOk(['copy', '-q', `docker://${peer.host}/flags/anon:v1`, `oci:${work.dir('withfile')}:x`, ...src, '--authfile', good]);
    const tlsFlags = peer.tls ? ['--cert-dir', peer.certDir!] : ['--tls-verify=false'];
    assertOneLineFailure(await imgseal(['inspect', `docker://${peer.host}/flags/anon:v1`, ...tlsFlags, '--authfile', good, '--no-creds']), /no credentials/, 'inspect --no-creds');
  });

  test('--registry-token is sent as the bearer token; a refused one fails with one line', async (t) => {
    const peer = peerWith(t, reg.get(t), 'user', 'password');
    if (!peer) return;
    await imgsealOk(['copy', '-q', `oci:${srcDir}:base`, `docker://${peer.host}/flags/tok:v1`, ...regFlags(peer, 'dest')]);
    const token = await fetchToken(peer, 'repository:flags/tok:pull');
    const tlsFlags = peer.tls ? ['--cert-dir', peer.certDir!] : ['--tls-verify=false'];
    const i = await imgsealOk(['inspect', `docker://${peer.host}/flags/tok:v1`, ...tlsFlags, '--registry-token', token]);
    assert.match((JSON.parse(i.stdout) as { Digest: string }).Digest, /^sha256:/);
    const out = work.dir('bytoken');
    await imgsealOk(['copy', '-q', `docker://${peer.host}/flags/tok:v1`, `oci:${out}:x`, ...regFlags(peer, 'src', { creds: false }), '--src-registry-token', token]);
    const refused = await imgseal(['inspect', `docker://${peer.host}/flags/tok:v1`, ...tlsFlags, '--registry-token', 'not-a-token']);
    const line = assertOneLineFailure(refused, /registry token was refused/, 'a bogus token');
    assert.ok(!line.includes(token));
  });
});

test('--src-creds with --src-no-creds, or an empty --registry-token, is a usage error (exit 2)', async () => {
  const both = await imgseal(['copy', '--src-creds', 'u:p', '--src-no-creds', `oci:${work.dir('x')}:a`, `oci:${work.dir('y')}:b`]);
  assert.equal(both.code, 2);
  assert.match(both.stderr, /^imgseal: --src-creds and --src-no-creds cannot be used together$/m);
  const empty = await imgseal(['inspect', '--registry-token', '', 'docker://127.0.0.1:1/x:y']);
  assert.equal(empty.code, 2);
  assert.match(empty.stderr, /--registry-token is empty/);
});
