/**
 * The lean undici loader: only the Agent and the request API are loaded (not the
 * package entry with fetch, WebSocket and caches), and requests made through it
 * behave as undici.request's do.
 */
import assert from 'node:assert/strict';
import { createServer, type IncomingMessage } from 'node:http';
import type { AddressInfo } from 'node:net';
import { createRequire } from 'node:module';
import { test } from 'node:test';
import { agentClass, httpRequest, undiciLoadedFrom } from '../../src/http/undici.js';

interface Seen {
  method: string | undefined;
  url: string | undefined;
  body: string;
  header: string | undefined;
}

async function withServer(fn: (origin: string, seen: Seen[]) => Promise<void>): Promise<void> {
  const seen: Seen[] = [];
  const server = createServer((req: IncomingMessage, res) => {
    const chunks: Buffer[] = [];
    req.on('data', (c: Buffer) => chunks.push(c));
    req.on('end', () => {
      seen.push({ method: req.method, url: req.url, body: Buffer.concat(chunks).toString(), header: req.headers['x-test'] as string | undefined });
      res.writeHead(201, { location: '/next' });
      res.end('answer');
    });
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  try {
    await fn(`http://127.0.0.1:${(server.address() as AddressInfo).port}`, seen);
  } finally {
    server.close();
  }
}

test('undici is loaded without its package entry (no fetch, WebSocket or caches)', () => {
  assert.equal(undiciLoadedFrom(), 'lean');
  const cache = createRequire(import.meta.url).cache;
  const entry = Object.keys(cache).filter((k) => /[\\/]node_modules[\\/]undici[\\/]index\.js$/.test(k));
  assert.deepEqual(entry, [], 'the undici package entry was loaded');
});

test('httpRequest sends method, path with query, headers and body like undici.request', async () => {
  const Agent = agentClass();
  const agent = new Agent();
  try {
    await withServer(async (origin, seen) => {
      const get = await httpRequest(agent, `${origin}/v2/a/b/blobs/uploads/x?digest=sha256%3Aab&n=1`, { method: 'GET', headers: { 'x-test': 'one' } });
      assert.equal(get.statusCode, 201);
      assert.equal(get.headers.location, '/next');
      assert.equal(await get.body.text(), 'answer');
      // No method but a body: PUT, as undici.request defaults.
      const put = await httpRequest(agent, new URL(`${origin}/v2/x`), { body: Buffer.from('payload') });
      await put.body.dump();
      assert.deepEqual(seen, [
        { method: 'GET', url: '/v2/a/b/blobs/uploads/x?digest=sha256%3Aab&n=1', body: '', header: 'one' },
        { method: 'PUT', url: '/v2/x', body: 'payload', header: undefined },
      ]);
    });
  } finally {
    await agent.close();
  }
});
