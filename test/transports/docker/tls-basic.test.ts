/**
 * docker:// against the real registry peer with TLS (throwaway CA) + htpasswd basic
 * auth: certificate folders, credentials from every source, login/logout, and one
 * clear line for wrong password, missing CA, unknown host, refused connection.
 */
import assert from 'node:assert/strict';
import { chmodSync, copyFileSync, mkdirSync, mkdtempSync, readFileSync, statSync, writeFileSync } from 'node:fs';
import { createServer } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, test } from 'node:test';
import { isImgsealError } from '../../../src/errors.js';
import type { SystemContext } from '../../../src/transports/context.js';
import { login, logout } from '../../../src/transports/docker/index.js';
import { peerWith, useRegistryPeer, type RegistryPeer } from '../../testkit/peers.js';
import { requireTool } from '../../testkit/tools.js';
import { ctxFor, isolatedEnv, readAll, ref, sha256, skopeo, skopeoFlags, tinyImage, pushReadBackAndCheckWithSkopeo } from './helpers.js';

async function canRead(peer: RegistryPeer, name: string, ctx: SystemContext): Promise<void> {
  const src = await ref(`//${peer.host}/${name}`).newImageSource(ctx);
  try {
    await src.getManifest();
  } finally {
    await src.close();
  }
}

function oneLine(code: Parameters<typeof isImgsealError>[1], re: RegExp, secret?: string) {
  return (err: unknown): boolean => {
    assert.ok(isImgsealError(err, code), `expected ${code}, got ${String(err)}`);
    assert.match(err.message, re);
    assert.ok(!err.message.includes('\n'), `one line: ${err.message}`);
    if (secret) assert.ok(!err.message.includes(secret), 'the password must not appear');
    return true;
  };
}

describe('docker:// with the TLS + basic-auth registry peer', { timeout: 300_000 }, () => {
  const reg = useRegistryPeer('tls-basic');
  const img = tinyImage([4000, 1_500_000]);

  test('push and read back with --cert-dir and --creds; skopeo reads it', async (t) => {
    const peer = reg.get(t);
    if (!peer) return;
    await pushReadBackAndCheckWithSkopeo(t, peer, 'tls/app:v1', img);
  });

  test('CA from <systemRoot>/etc/containers/certs.d/HOST:PORT/', async (t) => {
    const peer = peerWith(t, reg.get(t), 'ca');
    if (!peer) return;
    const root = mkdtempSync(join(tmpdir(), 'imgseal-root-'));
    const dir = join(root, 'etc', 'containers', 'certs.d', peer.host);
    mkdirSync(dir, { recursive: true });
    copyFileSync(peer.ca, join(dir, 'ca.crt'));
    const ctx = ctxFor(peer, { systemRoot: root });
    delete ctx.certDir;
    await canRead(peer, 'tls/app:v1', ctx);
  });

  test('no CA → TLS_ERROR (unknown authority); --tls-verify=false → works', async (t) => {
    const peer = reg.get(t);
    if (!peer) return;
    const ctx = ctxFor(peer, { systemRoot: mkdtempSync(join(tmpdir(), 'imgseal-root-')) });
    delete ctx.certDir;
    await assert.rejects(canRead(peer, 'tls/app:v1', ctx), oneLine('TLS_ERROR', /x509: certificate signed by unknown authority/));
    await canRead(peer, 'tls/app:v1', { ...ctx, tlsVerify: false });
  });

  test('wrong password → UNAUTHORIZED; no credentials → UNAUTHORIZED', async (t) => {
    const peer = peerWith(t, reg.get(t), 'user');
    if (!peer) return;
    const bad = ctxFor(peer, { credentials: { username: peer.user, password: 'not-the-password-42' } });
    await assert.rejects(canRead(peer, 'tls/app:v1', bad), oneLine('UNAUTHORIZED', /check the username and password/, 'not-the-password-42'));
    const none = ctxFor(peer);
    delete none.credentials;
    await assert.rejects(canRead(peer, 'tls/app:v1', none), oneLine('UNAUTHORIZED', /no credentials/));
  });

  test('unknown host → NETWORK_ERROR; refused → NETWORK_ERROR', async (t) => {
    const peer = reg.get(t);
    if (!peer) return;
    const unknown = ref('//no-such-registry.invalid/app:v1');
    const src = await unknown.newImageSource({ ...ctxFor(peer), retryTimes: 0 });
    await assert.rejects(src.getManifest(), oneLine('NETWORK_ERROR', /lookup no-such-registry\.invalid: no such host/));
    await src.close();
    // a port nobody listens on
    const srv = createServer();
    await new Promise<void>((r) => srv.listen(0, '127.0.0.1', r));
    const port = (srv.address() as { port: number }).port;
    await new Promise<void>((r) => srv.close(() => r()));
    const refused = await ref(`//127.0.0.1:${port}/app:v1`).newImageSource({ ...ctxFor(peer), retryTimes: 0 });
    await assert.rejects(refused.getManifest(), oneLine('NETWORK_ERROR', /connection refused/));
    await refused.close();
  });

  test('credentials from auth.json (REGISTRY_AUTH_FILE) and ~/.docker/config.json', async (t) => {
    const peer = peerWith(t, reg.get(t), 'user', 'password');
    if (!peer) return;
    const auth = Buffer.from(`${peer.user}:${peer.password}`).toString('base64');
    const { env, authFile } = isolatedEnv();
    writeFileSync(authFile, JSON.stringify({ auths: { [peer.host]: { auth } } }));
    const base = ctxFor(peer);
    delete base.credentials;
    await canRead(peer, 'tls/app:v1', { ...base, env });
    // docker config (no REGISTRY_AUTH_FILE): namespaced key wins over the host key
    const iso = isolatedEnv();
    const dockerDir = join(iso.home, 'dcfg');
    mkdirSync(dockerDir);
    const badAuth = Buffer.from(`${peer.user}:wrong`).toString('base64');
    writeFileSync(join(dockerDir, 'config.json'), JSON.stringify({ auths: { [`https://${peer.host}`]: { auth: badAuth }, [`${peer.host}/tls`]: { auth } } }));
    const env2 = { HOME: iso.home, PATH: iso.env.PATH ?? '', DOCKER_CONFIG: dockerDir };
    await canRead(peer, 'tls/app:v1', { ...base, env: env2 });
  });

  test('credHelpers: docker-credential-<name> get (server on stdin, JSON out)', async (t) => {
    const peer = peerWith(t, reg.get(t), 'user', 'password');
    if (!peer) return;
    const iso = isolatedEnv();
    const bin = join(iso.home, 'bin');
    mkdirSync(bin);
    const seen = join(iso.home, 'helper-stdin');
    const helper = join(bin, 'docker-credential-peertest');
    writeFileSync(
      helper,
      `#!/bin/sh\n[ "$1" = get ] || exit 2\ncat > '${seen}'\nprintf '{"ServerURL":"x","Username":"%s","Secret":"%s"}' '${peer.user}' '${peer.password}'\n`,
    );
    chmodSync(helper, 0o755);
    const dockerDir = join(iso.home, '.docker');
    mkdirSync(dockerDir);
    writeFileSync(join(dockerDir, 'config.json'), JSON.stringify({ credHelpers: { [peer.host]: 'peertest' } }));
    const base = ctxFor(peer);
    delete base.credentials;
    await canRead(peer, 'tls/app:v1', { ...base, env: { HOME: iso.home, PATH: `${bin}:${process.env.PATH ?? ''}` } });
    assert.equal(readFileSync(seen, 'utf8'), peer.host);
    // credsStore with a helper that has no entry → anonymous → UNAUTHORIZED
    writeFileSync(join(bin, 'docker-credential-empty'), '#!/bin/sh\necho "credentials not found in native keychain"\nexit 1\n');
    chmodSync(join(bin, 'docker-credential-empty'), 0o755);
    writeFileSync(join(dockerDir, 'config.json'), JSON.stringify({ credsStore: 'empty' }));
    await assert.rejects(canRead(peer, 'tls/app:v1', { ...base, env: { HOME: iso.home, PATH: `${bin}:${process.env.PATH ?? ''}` } }), oneLine('UNAUTHORIZED', /no credentials/));
  });

  test('login verifies and writes auth.json (0600); logout removes the entry', async (t) => {
    const peer = peerWith(t, reg.get(t), 'user', 'password', 'certDir');
    if (!peer) return;
    const { env, authFile } = isolatedEnv();
    writeFileSync(authFile, JSON.stringify({ auths: { 'other.example': { auth: 'eDp5' } }, credHelpers: { 'z.example': 'x' } }));
    const ctx: SystemContext = { env, certDir: peer.certDir, retryDelayMs: 5 };
    await assert.rejects(login(peer.host, { username: peer.user, password: 'wrong-pass-77' }, ctx), oneLine('UNAUTHORIZED', /authenticating/, 'wrong-pass-77'));
    assert.deepEqual(Object.keys((JSON.parse(readFileSync(authFile, 'utf8')) as { auths: object }).auths), ['other.example']);
    const res = await login(peer.host, { username: peer.user, password: peer.password }, ctx);
    assert.equal(res.authFile, authFile);
    assert.equal(statSync(authFile).mode & 0o777, 0o600);
    const saved = JSON.parse(readFileSync(authFile, 'utf8')) as { auths: Record<string, { auth: string }>; credHelpers: object };
    assert.equal(Buffer.from(saved.auths[peer.host]!.auth, 'base64').toString(), `${peer.user}:${peer.password}`);
    assert.ok(saved.auths['other.example'] && saved.credHelpers, 'other entries are kept');
    await canRead(peer, 'tls/app:v1', ctx);
    assert.equal((await logout(peer.host, ctx)).removed, true);
    assert.equal((await logout(peer.host, ctx)).removed, false);
    await assert.rejects(canRead(peer, 'tls/app:v1', ctx), oneLine('UNAUTHORIZED', /no credentials/));
  });

  test('we read what skopeo pushed with --dest-cert-dir/--dest-creds', async (t) => {
    const peer = reg.get(t);
    if (!peer || !requireTool('skopeo', t)) return;
    const { repoRoot } = await import('../../testkit/peers.js');
    const layout = join(repoRoot(), 'test', 'fixtures', 'ocicrypt', 'plain-base', 'image');
    await skopeo(['copy', ...skopeoFlags(peer, 'dest'), `oci:${layout}:base`, `docker://${peer.host}/from/skopeo:base`]);
    const src = await ref(`//${peer.host}/from/skopeo:base`).newImageSource(ctxFor(peer));
    try {
      const m = JSON.parse((await src.getManifest()).bytes.toString()) as { layers: { digest: `sha256:${string}`; size: number; mediaType: string }[] };
      for (const l of m.layers) assert.equal(sha256(await readAll(await src.getBlob(l))), l.digest);
    } finally {
      await src.close();
    }
  });
});
