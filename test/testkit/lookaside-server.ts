/**
 * A read-only static web server for a lookaside folder, as the seed's web server:
 * GET/HEAD only (405 otherwise), 200 with the file, 404 when missing or outside the
 * folder. It records the paths asked for, so a test can prove a peer read from it.
 */
import { createReadStream, existsSync, statSync } from 'node:fs';
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { join, normalize } from 'node:path';

export interface LookasideServer {
  url: string;
  server: Server;
  /** `STATUS PATH` of every request, in order. */
  requests: string[];
  close(): Promise<void>;
}

export function serveReadOnly(root: string): Promise<LookasideServer> {
  const requests: string[] = [];
  const server = createServer((req, res) => {
    const urlPath = decodeURIComponent(new URL(req.url ?? '/', 'http://x').pathname);
    const answer = (status: number): void => {
      requests.push(`${status} ${urlPath}`);
      res.writeHead(status).end();
    };
    if (req.method !== 'GET' && req.method !== 'HEAD') return answer(405);
    const path = normalize(join(root, urlPath));
    if (!path.startsWith(root) || !existsSync(path) || !statSync(path).isFile()) return answer(404);
    requests.push(`200 ${urlPath}`);
    res.writeHead(200, { 'content-type': 'application/octet-stream' });
    createReadStream(path).pipe(res);
  });
  return new Promise((resolve) =>
    server.listen(0, '127.0.0.1', () =>
      resolve({
        url: `http://127.0.0.1:${(server.address() as AddressInfo).port}`,
        server,
        requests,
        close: () => new Promise<void>((r) => {
          server.close(() => r());
          server.closeAllConnections();
        }),
      }),
    ),
  );
}
