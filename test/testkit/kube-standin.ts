/**
 * A loopback stand-in for the Kubernetes API server — only what the key-sync agent
 * uses, following the public API: HTTPS with a throwaway certificate, bearer-token
 * auth, `GET /api/v1/namespaces/NS/secrets` (a SecretList with resourceVersion) and
 * the same with `?watch=true&resourceVersion=RV` (newline-delimited watch events,
 * ERROR/410 when RV was compacted away), `GET /api/v1/nodes/NAME`. Test controls:
 * create/update/delete Secrets, drop every open watch, compact the event history.
 * It is not Kubernetes; the README says so.
 */
import { execFileSync } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { createServer, type Server } from 'node:https';
import type { IncomingMessage, ServerResponse } from 'node:http';
import type { Socket } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

export interface StandinSecret {
  name: string;
  type: string;
  data: Record<string, string | Buffer>;
  annotations?: Record<string, string>;
}

interface Event {
  rv: number;
  type: 'ADDED' | 'MODIFIED' | 'DELETED';
  object: object;
}

export interface RequestRecord {
  method: string;
  path: string;
  watch: boolean;
  resourceVersion?: string;
  authorized: boolean;
}

export function selfSignedCert(dir: string): { key: string; cert: string } {
  const key = join(dir, 'tls.key');
  const cert = join(dir, 'tls.crt');
  execFileSync('openssl', ['req', '-x509', '-newkey', 'ec', '-pkeyopt', 'ec_paramgen_curve:P-256', '-nodes', '-keyout', key, '-out', cert, '-days', '1', '-subj', '/CN=127.0.0.1', '-addext', 'subjectAltName=IP:127.0.0.1'], { stdio: 'ignore' });
  return { key: readFileSync(key, 'utf8'), cert: readFileSync(cert, 'utf8') };
}

export class KubeStandin {
  readonly token = `standin-token-${Math.random().toString(36).slice(2)}`;
  readonly requests: RequestRecord[] = [];
  private server: Server | undefined;
  private readonly dir = mkdtempSync(join(tmpdir(), 'kube-standin-'));
  private cert = '';
  private rv = 100;
  private compactedBefore = 0;
  private readonly secrets = new Map<string, object>();
  private readonly events: Event[] = [];
  private readonly watches = new Set<ServerResponse>();
  private readonly sockets = new Set<Socket>();
  port = 0;

  constructor(
    readonly namespace: string,
    private readonly nodes: Record<string, Record<string, string>> = {},
  ) {}

  async start(): Promise<void> {
    const { key, cert } = selfSignedCert(this.dir);
    this.cert = cert;
    this.server = createServer({ key, cert }, (req, res) => this.handle(req, res));
    this.server.on('connection', (s: Socket) => {
      this.sockets.add(s);
      s.on('close', () => this.sockets.delete(s));
    });
    await new Promise<void>((resolve) => this.server?.listen(0, '127.0.0.1', resolve));
    this.port = (this.server.address() as { port: number }).port;
  }

  async stop(): Promise<void> {
    for (const s of this.sockets) s.destroy();
    await new Promise<void>((resolve) => this.server?.close(() => resolve()));
    rmSync(this.dir, { recursive: true, force: true });
  }

  /** A kubeconfig file for this server; `token` overrides the right one. */
  kubeconfig(token = this.token): string {
    const path = join(this.dir, `kubeconfig-${Math.random().toString(36).slice(2)}`);
    writeFileSync(path, JSON.stringify({
      apiVersion: 'v1',
      kind: 'Config',
      clusters: [{ name: 'standin', cluster: { server: `https://127.0.0.1:${this.port}`, 'certificate-authority-data': Buffer.from(this.cert).toString('base64') } }],
      users: [{ name: 'agent', user: { token } }],
      contexts: [{ name: 'standin', context: { cluster: 'standin', user: 'agent', namespace: this.namespace } }],
      'current-context': 'standin',
    }));
    return path;
  }

  put(s: StandinSecret): void {
    const existed = this.secrets.has(s.name);
    const rv = ++this.rv;
    const data = Object.fromEntries(Object.entries(s.data).map(([k, v]) => [k, Buffer.from(v).toString('base64')]));
    const object = { apiVersion: 'v1', kind: 'Secret', type: s.type, data, metadata: { name: s.name, namespace: this.namespace, resourceVersion: String(rv), annotations: s.annotations ?? {} } };
    this.secrets.set(s.name, object);
    this.emit({ rv, type: existed ? 'MODIFIED' : 'ADDED', object });
  }

  delete(name: string): void {
    const old = this.secrets.get(name) as { metadata: object } | undefined;
    if (!old) return;
    this.secrets.delete(name);
    const rv = ++this.rv;
    this.emit({ rv, type: 'DELETED', object: { ...old, metadata: { ...old.metadata, resourceVersion: String(rv) } } });
  }

  /** Ends every open watch connection abruptly (an API server restart, a network cut). */
  disconnectWatches(): void {
    for (const w of this.watches) w.socket?.destroy();
    this.watches.clear();
  }

  /** Forgets the event history: resuming a watch from any older resourceVersion gets 410 Gone. */
  compact(): void {
    this.compactedBefore = this.rv + 1;
    this.events.length = 0;
  }

  openWatches(): number {
    return this.watches.size;
  }

  private emit(e: Event): void {
    this.events.push(e);
    for (const w of this.watches) w.write(`${JSON.stringify({ type: e.type, object: e.object })}\n`);
  }

  private handle(req: IncomingMessage, res: ServerResponse): void {
    const url = new URL(req.url ?? '/', 'https://x');
    const authorized = req.headers.authorization === `Bearer ${this.token}`;
    const watch = url.searchParams.get('watch') === 'true';
    const rvParam = url.searchParams.get('resourceVersion') ?? undefined;
    this.requests.push({ method: req.method ?? '', path: url.pathname, watch, ...(rvParam !== undefined ? { resourceVersion: rvParam } : {}), authorized });
    const status = (code: number, reason: string): void => {
      res.writeHead(code, { 'content-type': 'application/json' });
      res.end(JSON.stringify({ kind: 'Status', apiVersion: 'v1', status: 'Failure', reason, code }));
    };
    if (!authorized) return status(401, 'Unauthorized');
    const node = url.pathname.match(/^\/api\/v1\/nodes\/([^/]+)$/);
    if (node) {
      const labels = this.nodes[decodeURIComponent(node[1] as string)];
      if (!labels) return status(404, 'NotFound');
      res.writeHead(200, { 'content-type': 'application/json' });
      return void res.end(JSON.stringify({ kind: 'Node', apiVersion: 'v1', metadata: { name: node[1], labels } }));
    }
    if (url.pathname !== `/api/v1/namespaces/${this.namespace}/secrets`) return status(404, 'NotFound');
    if (!watch) {
      res.writeHead(200, { 'content-type': 'application/json' });
      return void res.end(JSON.stringify({ kind: 'SecretList', apiVersion: 'v1', metadata: { resourceVersion: String(this.rv) }, items: [...this.secrets.values()] }));
    }
    const from = Number(rvParam ?? this.rv);
    res.writeHead(200, { 'content-type': 'application/json', 'transfer-encoding': 'chunked' });
    if (from < this.compactedBefore - 1) {
      res.end(`${JSON.stringify({ type: 'ERROR', object: { kind: 'Status', apiVersion: 'v1', status: 'Failure', reason: 'Expired', message: `too old resource version: ${from} (${this.compactedBefore})`, code: 410 } })}\n`);
      return;
    }
    for (const e of this.events) if (e.rv > from) res.write(`${JSON.stringify({ type: e.type, object: e.object })}\n`);
    this.watches.add(res);
    req.on('close', () => this.watches.delete(res));
  }
}
