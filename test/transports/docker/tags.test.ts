/**
 * Tag-list paging, against a scripted local server: every `Link: <…>; rel="next"`
 * page is followed (relative and absolute links), `tags: null` is an empty page, and a
 * malformed page is one clear error. (The real registry is in test/e2e/list-tags.)
 */
import assert from 'node:assert/strict';
import { createServer } from 'node:http';
import type { AddressInfo } from 'node:net';
import { test } from 'node:test';
import { isImgsealError } from '../../../src/errors.js';
import { listTags, type DockerReference } from '../../../src/transports/docker/index.js';
import { parseImageName } from '../../../src/transports/transports.js';

async function withRegistry(pages: ((origin: string) => { body: string; link?: string })[], fn: (host: string, seen: string[]) => Promise<void>): Promise<void> {
  const seen: string[] = [];
  const server = createServer((req, res) => {
    const origin = `http://${req.headers.host}`;
    if (req.url === '/v2/') {
      res.writeHead(200, { 'content-type': 'application/json' }).end('{}');
      return;
    }
    seen.push(req.url ?? '');
    const page = pages[seen.length - 1];
    if (!page) {
      res.writeHead(500).end();
      return;
    }
    const p = page(origin);
    res.writeHead(200, { 'content-type': 'application/json', ...(p.link ? { link: p.link } : {}) }).end(p.body);
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  try {
    await fn(`127.0.0.1:${(server.address() as AddressInfo).port}`, seen);
  } finally {
    server.close();
  }
}

test('every page is followed, relative and absolute Link targets alike', async () => {
  await withRegistry(
    [
      () => ({ body: '{"name":"a/b","tags":["1","2"]}', link: '</v2/a/b/tags/list?n=2&last=2>; rel="next"' }),
      (origin) => ({ body: '{"name":"a/b","tags":null}', link: `<${origin}/v2/a/b/tags/list?n=2&last=2b>; rel="next"` }),
      () => ({ body: '{"name":"a/b","tags":["3"]}' }),
    ],
    async (host, seen) => {
      const list = await listTags(parseImageName(`docker://${host}/a/b:x`) as DockerReference, { tlsVerify: false }, { pageSize: 2 });
      assert.deepEqual(list, { Repository: `${host}/a/b`, Tags: ['1', '2', '3'] });
      assert.deepEqual(seen, ['/v2/a/b/tags/list?n=2', '/v2/a/b/tags/list?n=2&last=2', '/v2/a/b/tags/list?n=2&last=2b']);
    },
  );
});

test('a page that is not a tag list is one clear error', async () => {
  await withRegistry([() => ({ body: '{"tags":"oops"}' })], async (host) => {
    await assert.rejects(listTags(parseImageName(`docker://${host}/a/b`) as DockerReference, { tlsVerify: false }), (e) => isImgsealError(e, 'REGISTRY_ERROR') && /"tags" is not a list/.test(e.message));
  });
});
