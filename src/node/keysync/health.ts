/**
 * The health endpoint for the DaemonSet's probes: GET /healthz answers 200 while the
 * agent runs, GET /readyz 200 once a sync has written the key directory (503 before,
 * or while the last sync is older than `staleMs`). The body is JSON without secrets.
 */
import { createServer, type Server } from 'node:http';
import type { KeySyncHealth } from './agent.js';

export function startHealthServer(port: number, host: string, health: () => KeySyncHealth & { source?: string }, staleMs: number): Promise<Server> {
  const server = createServer((req, res) => {
    const h = health();
    const fresh = h.synced && h.lastSync !== undefined && Date.now() - Date.parse(h.lastSync) < staleMs;
    const path = (req.url ?? '').split('?')[0];
    const status = path === '/healthz' ? 200 : path === '/readyz' ? (fresh ? 200 : 503) : 404;
    res.writeHead(status, { 'content-type': 'application/json' });
    res.end(status === 404 ? '{"error":"not found"}\n' : `${JSON.stringify({ ready: fresh, ...h })}\n`);
  });
  return new Promise((resolve, reject) => {
    server.once('error', reject);
    server.listen(port, host, () => resolve(server));
  });
}
