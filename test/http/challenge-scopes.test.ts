/**
 * Scopes a 401 challenge names: asked for on the one retry (also non-repository ones, as
 * notary's `/v2/` wants `registry:catalog:*`), and the same scope with its actions in
 * another order (`pull,push` for our `push,pull`) is not asked for twice.
 */
import assert from 'node:assert/strict';
import { createServer, type IncomingMessage, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import { test } from 'node:test';
import { HttpClient } from '../../src/http/index.js';

async function withServer(challengeScope: string, run: (base: string, tokenScopes: string[][]) => Promise<void>): Promise<void> {
  const tokenScopes: string[][] = [];
  const norm = (x: string): string => x.replace(/:([^:]*)$/, (_m, a: string) => `:${a.split(',').sort().join(',')}`);
  const server = createServer((req: IncomingMessage, res: ServerResponse) => {
    const url = new URL(req.url ?? '/', 'http://x');
    if (url.pathname === '/token') {
      const scopes = url.searchParams.getAll('scope');
      tokenScopes.push(scopes);
      res.setHeader('content-type', 'application/json');
      res.end(JSON.stringify({ token: Buffer.from(scopes.join(' ')).toString('base64url'), expires_in: 300 }));
      return;
    }
    // A token is good when it grants the challenge's scope (actions in any order).
    const token = /^Bearer (.*)$/.exec(req.headers.authorization ?? '')?.[1];
    const granted = token === undefined ? [] : Buffer.from(token, 'base64url').toString().split(' ');
    if (granted.some((g) => norm(g) === norm(challengeScope))) {
      res.end('{}');
      return;
    }
    const { port } = server.address() as AddressInfo;
    res.statusCode = 401;
    res.setHeader('www-authenticate', `Bearer realm="http://127.0.0.1:${port}/token",service="svc",scope="${challengeScope}"`);
    res.end();
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as AddressInfo;
  try {
    await run(`http://127.0.0.1:${port}`, tokenScopes);
  } finally {
    server.close();
  }
}

async function client(host: string, scopes: string[]): Promise<HttpClient> {
  return HttpClient.open({ host, scopes, ctx: {}, credential: { kind: 'basic', username: 'u', password: 'p' } });
}

test('a non-repository scope from the challenge is asked for on the retry', async () => {
  await withServer('registry:catalog:*', async (base, tokenScopes) => {
    const c = await client(new URL(base).host, []);
    try {
      // The first try carries no token at all (no challenge seen yet), the retry the challenge's scope.
      const res = await c.send({ method: 'GET', path: '/v2/', what: 'ping', expect: [200], scopes: [] }, base);
      await res.body.text();
    } finally {
      await c.close();
    }
    assert.deepEqual(tokenScopes.at(-1), ['registry:catalog:*']);
  });
});

test('the same scope with its actions in another order is not asked for twice', async () => {
  await withServer('repository:127.0.0.1:5000/team/app:pull,push', async (base, tokenScopes) => {
    const c = await client(new URL(base).host, ['repository:127.0.0.1:5000/team/app:push,pull']);
    try {
      const res = await c.send({ method: 'GET', path: '/v2/x', what: 'read', expect: [200] }, base);
      await res.body.text();
    } finally {
      await c.close();
    }
    for (const scopes of tokenScopes) assert.deepEqual(scopes, ['repository:127.0.0.1:5000/team/app:push,pull'], JSON.stringify(tokenScopes));
  });
});
