/**
 * docker:// against the real registry peer in token-auth mode (distribution `auth: token`
 * + the peer's token issuer): the bearer flow, wrong/missing credentials, a stale token
 * refused by the registry (through the fault proxy), an OAuth2 identity token, and
 * skopeo interop, over HTTP and over TLS.
 */
import assert from 'node:assert/strict';
import { readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { after, describe, test } from 'node:test';
import { request } from 'undici';
import { isImgsealError } from '../../../src/errors.js';
import { FaultProxy } from '../../testkit/fault-proxy.js';
import { peerWith, useRegistryPeer, type RegistryPeer } from '../../testkit/peers.js';
import { requireTool } from '../../testkit/tools.js';
import { ctxFor, isolatedEnv, pushImage, readAll, ref, sha256, skopeo, skopeoFlags, tinyImage, pushReadBackAndCheckWithSkopeo } from './helpers.js';

function tokenRequests(peer: RegistryPeer): number {
  return readFileSync(join(peer.state, 'token-server.log'), 'utf8').split('\n').filter((l) => l.includes('"scope')).length;
}

describe('docker:// with the token-auth registry peer (HTTP)', { timeout: 300_000 }, () => {
  const reg = useRegistryPeer('token');
  const img = tinyImage([2000, 1_200_000]);
  let proxy: FaultProxy | undefined;
  after(async () => proxy?.close());

  test('push and read back with a bearer token; skopeo reads it', async (t) => {
    const peer = reg.get(t);
    if (!peer) return;
    await pushReadBackAndCheckWithSkopeo(t, peer, 'tok/app:v1', img);
  });

  test('wrong password and anonymous → UNAUTHORIZED, one line, no secret', async (t) => {
    const peer = peerWith(t, reg.get(t), 'user');
    if (!peer) return;
    const src = await ref(`//${peer.host}/tok/app:v1`).newImageSource(ctxFor(peer, { credentials: { username: peer.user, password: 'nope-secret-9' } }));
    await assert.rejects(src.getManifest(), (err: unknown) => {
      assert.ok(isImgsealError(err, 'UNAUTHORIZED'), String(err));
      assert.match(err.message, /invalid username\/password/);
      assert.ok(!err.message.includes('nope-secret-9') && !err.message.includes('\n'));
      return true;
    });
    await src.close();
    const anonCtx = ctxFor(peer);
    delete anonCtx.credentials;
    const anon = await ref(`//${peer.host}/tok/app:v1`).newImageSource(anonCtx);
    await assert.rejects(anon.getManifest(), (err: unknown) => isImgsealError(err, 'UNAUTHORIZED') && /no credentials/.test(err.message));
    await anon.close();
  });

  test('a token the registry refuses (stale) is dropped and a fresh one fetched', async (t) => {
    const peer = reg.get(t);
    if (!peer) return;
    proxy ??= await FaultProxy.start(peer.host);
    const ctx = ctxFor(peer);
    const src = await ref(`//${proxy.host}/tok/app:v1`).newImageSource(ctx);
    try {
      await src.getManifest(); // caches a token
      const before = tokenRequests(peer);
      const challenge = `Bearer realm="${peer.tokenUrl}",service="${peer.raw.TOKEN_SERVICE}",scope="repository:tok/app:pull",error="invalid_token"`;
      proxy.add({ method: 'GET', path: /\/manifests\//, authorized: true, fault: { kind: 'status', status: 401, headers: { 'www-authenticate': challenge } } });
      assert.equal((await src.getManifest()).digest, img.manifest.digest);
      assert.equal(proxy.pending(), 0, 'the 401 was served');
      assert.equal(tokenRequests(peer), before + 1, 'exactly one new token');
      // a registry that keeps refusing: one clear UNAUTHORIZED, no loop
      proxy.add({ method: 'GET', path: /\/manifests\//, authorized: true, times: 5, fault: { kind: 'status', status: 401, headers: { 'www-authenticate': challenge } } });
      await assert.rejects(src.getManifest(), (err: unknown) => isImgsealError(err, 'UNAUTHORIZED') && !err.message.includes('\n'));
      assert.equal(proxy.pending(), 3, 'one try plus one refresh');
      proxy.clear();
    } finally {
      await src.close();
    }
  });

  test('an OAuth2 identity token from auth.json (refresh_token grant)', async (t) => {
    const peer = peerWith(t, reg.get(t), 'tokenUrl', 'user', 'password');
    if (!peer) return;
    const form = new URLSearchParams({
      grant_type: 'password',
      username: peer.user,
      password: peer.password,
      service: peer.raw.TOKEN_SERVICE ?? '',
      client_id: 'test',
      access_type: 'offline',
    });
    const res = await request(peer.tokenUrl, { method: 'POST', body: form.toString(), headers: { 'content-type': 'application/x-www-form-urlencoded' } });
    const doc = (await res.body.json()) as { refresh_token?: string };
    assert.ok(doc.refresh_token, 'the issuer returned a refresh token');
    const { env, authFile } = isolatedEnv();
    writeFileSync(authFile, JSON.stringify({ auths: { [peer.host]: { identitytoken: doc.refresh_token } } }));
    const ctx = ctxFor(peer, { env });
    delete ctx.credentials;
    const src = await ref(`//${peer.host}/tok/app:v1`).newImageSource(ctx);
    try {
      assert.equal((await src.getManifest()).digest, img.manifest.digest);
    } finally {
      await src.close();
    }
  });
});

describe('docker:// with the token-auth registry peer over TLS', { timeout: 300_000 }, () => {
  const reg = useRegistryPeer('token', { TLS: '1' });

  test('push with our destination, skopeo copies it out; skopeo pushes, we read', async (t) => {
    const peer = reg.get(t);
    if (!peer) return;
    assert.ok(peer.tls);
    const img = tinyImage([3000, 2_000_000]);
    await pushImage(`//${peer.host}/tls-tok/app:v1`, ctxFor(peer), img);
    if (!requireTool('skopeo', t)) return;
    const raw = await skopeo(['inspect', '--raw', ...skopeoFlags(peer, ''), `docker://${peer.host}/tls-tok/app:v1`]);
    assert.equal(sha256(Buffer.from(raw)), img.manifest.digest);
    await skopeo(['copy', ...skopeoFlags(peer, 'src'), ...skopeoFlags(peer, 'dest'), `docker://${peer.host}/tls-tok/app:v1`, `docker://${peer.host}/tls-tok/copy:v1`]);
    const src = await ref(`//${peer.host}/tls-tok/copy:v1`).newImageSource(ctxFor(peer));
    try {
      assert.equal((await src.getManifest()).digest, img.manifest.digest);
      for (const l of img.layers) assert.deepEqual(await readAll(await src.getBlob(l.desc)), l.bytes);
    } finally {
      await src.close();
    }
  });
});
