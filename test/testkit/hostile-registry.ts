/**
 * Loopback servers that play a hostile or broken registry, for the tests of what
 * imgseal does with one: a scripted HTTP registry (any answer a handler gives, each
 * request logged), a server that answers every request with raw bytes (headers Node's
 * own server would refuse to send), and one that accepts connections and never answers.
 */
import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import { createServer as createTcpServer, type Server as TcpServer, type Socket } from 'node:net';
import type { AddressInfo } from 'node:net';

export interface LoggedRequest {
  method: string;
  url: string;
  authorization: string | undefined;
}

export interface LoopbackServer {
  /** `127.0.0.1:PORT` */
  host: string;
  log: LoggedRequest[];
  /** Connections accepted so far (rawServer only). */
  connections?: () => number;
  close(): Promise<void>;
}

function listening(server: Server | TcpServer): Promise<string> {
  return new Promise((resolve) => server.listen(0, '127.0.0.1', () => resolve(`127.0.0.1:${(server.address() as AddressInfo).port}`)));
}

/** An HTTP server answering with `handler`. */
export async function scriptedRegistry(handler: (req: IncomingMessage, res: ServerResponse, host: string) => void): Promise<LoopbackServer> {
  const log: LoggedRequest[] = [];
  const box: { host: string } = { host: '' };
  const server = createServer((req, res) => {
    log.push({ method: req.method ?? '', url: req.url ?? '', authorization: req.headers.authorization });
    req.resume();
    handler(req, res, box.host);
  });
  box.host = await listening(server);
  return {
    host: box.host,
    log,
    close: () =>
      new Promise((resolve) => {
        server.closeAllConnections();
        server.close(() => resolve());
      }),
  };
}

/** A TCP server that reads each request head and answers `raw` (a whole HTTP response), or never answers when raw is undefined. */
export async function rawServer(raw: string | Buffer | undefined): Promise<LoopbackServer> {
  const sockets = new Set<Socket>();
  const log: LoggedRequest[] = [];
  let accepted = 0;
  const server = createTcpServer((socket) => {
    accepted++;
    sockets.add(socket);
    socket.on('close', () => sockets.delete(socket));
    socket.on('error', () => {});
    let head = '';
    socket.on('data', (d) => {
      // A TLS ClientHello: answer as a plain-HTTP server does (so a client falls back to http).
      if (head === '' && d[0] === 0x16) return void socket.end('HTTP/1.1 400 Bad Request\r\nConnection: close\r\n\r\n');
      head += d.toString('latin1');
      if (!head.includes('\r\n\r\n')) return;
      const [method = '', url = ''] = head.split(' ');
      log.push({ method, url, authorization: /\r\nauthorization: ([^\r]*)/i.exec(head)?.[1] });
      head = '';
      if (raw !== undefined) socket.end(raw);
    });
  });
  const host = await listening(server);
  return {
    host,
    log,
    connections: () => accepted,
    close: () =>
      new Promise((resolve) => {
        for (const s of sockets) s.destroy();
        server.close(() => resolve());
      }),
  };
}
