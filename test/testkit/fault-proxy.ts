/**
 * A loopback HTTP proxy in front of a (plain-HTTP) registry peer that injects faults
 * on chosen requests: an error status (500, 429 + Retry-After, 401 for a stale token),
 * a connection reset in the middle of a response or of a request body, a truncated
 * body, or a body with one byte changed (wrong digest). The Host header is passed
 * through unchanged, so the registry's Location URLs point back at the proxy.
 */
import { createServer, request, type IncomingMessage, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';

export type Fault =
  | { kind: 'status'; status: number; headers?: Record<string, string>; body?: string }
  /** Send the response head and `bytes` body bytes, then reset the connection. */
  | { kind: 'reset-response'; bytes: number }
  /** Announce and send only `bytes` body bytes, then end cleanly (a short but "complete" body). */
  | { kind: 'truncate-response'; bytes: number }
  /** Flip one byte of the response body (same length: a wrong-digest body). */
  | { kind: 'corrupt-response' }
  /** Reset the connection once `bytes` bytes of the request body have arrived. */
  | { kind: 'reset-request'; bytes: number };

export interface FaultRule {
  method?: string;
  /** Matches the request path (and query). */
  path: RegExp;
  /** Only requests with (true) or without (false) an Authorization header. */
  authorized?: boolean;
  /** How many matching requests get the fault (default 1). */
  times?: number;
  fault: Fault;
}

export interface ProxyLogEntry {
  method: string;
  url: string;
  status?: number;
  fault?: Fault['kind'];
}

export class FaultProxy {
  readonly log: ProxyLogEntry[] = [];
  private rules: { rule: FaultRule; left: number }[] = [];

  private constructor(
    private readonly server: Server,
    readonly host: string,
  ) {}

  static async start(upstreamHost: string): Promise<FaultProxy> {
    const [uh, up] = upstreamHost.split(':');
    // The handler needs the instance, which needs the listening server: fill it in after.
    const holder: { proxy?: FaultProxy } = {};
    const server = createServer((req, res) => holder.proxy?.handle(req, res, uh ?? '127.0.0.1', Number(up)));
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
    const port = (server.address() as AddressInfo).port;
    holder.proxy = new FaultProxy(server, `127.0.0.1:${port}`);
    return holder.proxy;
  }

  add(rule: FaultRule): void {
    this.rules.push({ rule, left: rule.times ?? 1 });
  }

  clear(): void {
    this.rules = [];
    this.log.length = 0;
  }

  /** Faults not yet used up (a test can assert its faults were hit). */
  pending(): number {
    return this.rules.reduce((n, r) => n + r.left, 0);
  }

  private take(req: IncomingMessage): Fault | undefined {
    for (const r of this.rules) {
      if (r.left <= 0) continue;
      if (r.rule.method && r.rule.method !== req.method) continue;
      if (!r.rule.path.test(req.url ?? '')) continue;
      if (r.rule.authorized !== undefined && r.rule.authorized !== (req.headers.authorization !== undefined)) continue;
      r.left--;
      return r.rule.fault;
    }
    return undefined;
  }

  private handle(req: IncomingMessage, res: import('node:http').ServerResponse, upHost: string, upPort: number): void {
    const fault = this.take(req);
    const entry: ProxyLogEntry = { method: req.method ?? '', url: req.url ?? '', ...(fault ? { fault: fault.kind } : {}) };
    this.log.push(entry);
    if (fault?.kind === 'status') {
      req.resume();
      req.on('end', () => {
        entry.status = fault.status;
        res.writeHead(fault.status, { 'content-type': 'application/json', ...fault.headers });
        res.end(fault.body ?? JSON.stringify({ errors: [{ code: 'UNKNOWN', message: `injected ${fault.status}` }] }));
      });
      return;
    }
    const up = request({ host: upHost, port: upPort, method: req.method, path: req.url, headers: req.headers }, (upRes) => {
      entry.status = upRes.statusCode;
      const headers = { ...upRes.headers };
      if (fault?.kind === 'truncate-response') headers['content-length'] = String(fault.bytes);
      res.writeHead(upRes.statusCode ?? 502, headers);
      let sent = 0;
      let flipped = false;
      upRes.on('data', (c: Buffer) => {
        let chunk = c;
        if (fault?.kind === 'reset-response' || fault?.kind === 'truncate-response') {
          const room = fault.bytes - sent;
          if (chunk.length >= room) {
            upRes.destroy();
            const part = chunk.subarray(0, Math.max(room, 0));
            // Reset only after the partial bytes were handed to the kernel, so the client sees them.
            if (fault.kind === 'reset-response') res.write(part, () => res.socket?.resetAndDestroy());
            else res.end(part);
            sent = fault.bytes;
            return;
          }
        }
        if (fault?.kind === 'corrupt-response' && !flipped && chunk.length > 0) {
          chunk = Buffer.from(chunk);
          chunk[0] = (chunk[0] ?? 0) ^ 0xff;
          flipped = true;
        }
        sent += chunk.length;
        if (!res.write(chunk)) {
          upRes.pause();
          res.once('drain', () => upRes.resume());
        }
      });
      upRes.on('end', () => {
        if (!res.writableEnded && !res.destroyed) res.end();
      });
      upRes.on('error', () => res.destroy());
    });
    up.on('error', () => res.destroy());
    if (fault?.kind === 'reset-request') {
      let got = 0;
      req.on('data', (c: Buffer) => {
        got += c.length;
        if (got >= fault.bytes) {
          up.destroy();
          req.socket.resetAndDestroy();
        }
      });
    }
    req.pipe(up);
  }

  async close(): Promise<void> {
    this.server.closeAllConnections();
    await new Promise<void>((resolve) => this.server.close(() => resolve()));
  }
}
