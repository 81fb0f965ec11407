/**
 * A read-only static web server for a lookaside folder, as the seed's web server:
 * GET/HEAD only (405 otherwise), 200 with the file, 404 when missing or outside the
 * folder. It records the paths asked for, so a test can prove a peer read from it.
 */
import { createReadStream, existsSync, statSync } from 'node:fs';
import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import { createServer as createHttpsServer } from 'node:https';
import type { AddressInfo } from 'node:net';
import { join, normalize } from 'node:path';

export interface LookasideServer {
  url: string;
  server: Server;
  /** `STATUS PATH` of every request, in order. */
  requests: string[];
  close(): Promise<void>;
}

export interface ServeOptions {
  /** Serve HTTPS with this certificate and key (PEM). */
  tls?: { cert: string; key: string };
  host?: string;
  port?: number;
}

export function serveReadOnly(root: string, opts: ServeOptions = {}): Promise<LookasideServer> {
  const requests: string[] = [];
  const handler = (req: IncomingMessage, res: ServerResponse): void => {
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
  };
  const server: Server = opts.tls ? createHttpsServer(opts.tls, handler) : createServer(handler);
  const host = opts.host ?? '127.0.0.1';
  return new Promise((resolve) =>
    server.listen(opts.port ?? 0, host, () =>
      resolve({
        url: `${opts.tls ? 'https' : 'http'}://${host}:${(server.address() as AddressInfo).port}`,
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
