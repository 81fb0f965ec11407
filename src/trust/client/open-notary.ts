/**
 * A NotaryClient over the shared HTTP layer: TLS with docker's CA folder for the trust
 * server (`$DOCKER_CONFIG/tls/<host:port>/`, `*.crt` CAs and `*.cert`/`*.key` client
 * certificates) or an explicit `--trust-ca` file, the registry's token flow when the
 * server asks for it, retries, bounded bodies.
 */
import { readFile, stat } from 'node:fs/promises';
import { join } from 'node:path';
import type { Dispatcher } from 'undici';
import { ImgsealError } from '../../errors.js';
import { buildAgent, HttpClient, loadTlsMaterial, readLimited, type HttpContext } from '../../http/index.js';
import { NotaryClient } from './notary-client.js';
import type { NotaryHttp } from './notary-http.js';

export interface NotaryConnectOptions {
  /** `https://host[:port]` of notary-server. */
  serverUrl: string;
  /** A CA file to trust for it (else docker's tls folder, else the system CAs). */
  caFile?: string;
  /** docker's config folder (for `tls/<host>/`). */
  dockerConfig: string;
  gun: string;
  http: HttpContext;
}

export async function openNotaryClient(o: NotaryConnectOptions): Promise<NotaryClient> {
  let url: URL;
  try {
    url = new URL(o.serverUrl);
  } catch {
    throw new ImgsealError('INVALID_ARGUMENT', `trust server ${o.serverUrl} is not a URL`);
  }
  if (url.protocol !== 'https:') throw new ImgsealError('INVALID_ARGUMENT', `trust server ${o.serverUrl} must be an https:// URL`);
  const base = `https://${url.host}${url.pathname.replace(/\/$/, '')}`;
  let dispatcher: Dispatcher | undefined;
  if (o.caFile) {
    const ca = await readFile(o.caFile, 'utf8').catch((err: Error) => {
      throw new ImgsealError('TLS_ERROR', `reading trust server CA ${o.caFile}: ${err.message}`, { cause: err });
    });
    dispatcher = buildAgent({ cas: [ca] }, true);
  } else {
    const dir = join(o.dockerConfig, 'tls', url.host);
    const isDir = await stat(dir).then((s) => s.isDirectory(), () => false);
    // The registry's --tls-verify=false never loosens the trust server's TLS: that is what protects the trust data in transit.
    dispatcher = buildAgent(await loadTlsMaterial(isDir ? dir : undefined), true);
  }
  const client = await HttpClient.open({ host: url.host, scopes: [`repository:${o.gun}:pull`], ctx: { ...o.http, dispatcher } });
  const push = [`repository:${o.gun}:push,pull`];
  const http: NotaryHttp = {
    async get(path, what, limit) {
      const res = await client.send({ method: 'GET', path, what, expect: [200, 404] }, base);
      if (res.statusCode === 404) {
        await res.body.dump();
        return undefined;
      }
      return readLimited(res.body, limit, what);
    },
    async post(path, body, contentType, what) {
      const res = await client.send({ method: 'POST', path, body, headers: { 'content-type': contentType }, what, expect: [200, 201, 204], scopes: push }, base);
      await res.body.dump();
    },
    async close() {
      await client.close();
      await dispatcher?.close().catch(() => undefined);
    },
  };
  return new NotaryClient(http, url.host);
}
