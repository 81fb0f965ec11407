/**
 * A NotaryClient over the shared HTTP layer: TLS with docker's CA folder for the trust
 * server (`$DOCKER_CONFIG/tls/<host:port>/`, `*.crt` CAs and `*.cert`/`*.key` client
 * certificates) or an explicit `--trust-ca` file, the registry's token flow when the
 * server asks for it (with the credentials server-credentials.ts picks), retries,
 * bounded bodies.
 */
import { readFile, stat } from 'node:fs/promises';
import { join } from 'node:path';
import type { Dispatcher } from 'undici';
import { ImgsealError, isImgsealError } from '../../errors.js';
import { buildAgent, HttpClient, loadTlsMaterial, readLimited, TokenRefusedError, type HttpContext } from '../../http/index.js';
import { NotaryClient } from './notary-client.js';
import type { NotaryHttp } from './notary-http.js';
import { trustServerCredential, type TrustServerCredential } from './server-credentials.js';

export interface NotaryConnectOptions {
  /** `https://host[:port]` of notary-server. */
  serverUrl: string;
  /** A CA file to trust for it (else docker's tls folder, else the system CAs). */
  caFile?: string;
  /** docker's config folder (for `tls/<host>/`). */
  dockerConfig: string;
  gun: string;
  /** The image's registry: its credentials answer the server's token challenge, as docker's do. */
  registry?: { domain: string; repository: string };
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
  let found: TrustServerCredential;
  let client: HttpClient;
  try {
    found = await trustServerCredential(url.host, o.registry, o.http);
    client = await HttpClient.open({ host: url.host, scopes: [`repository:${o.gun}:pull`], ctx: { ...o.http, registryToken: undefined, dispatcher }, credential: found.credential });
  } catch (err) {
    await dispatcher.close().catch(() => undefined);
    throw err;
  }
  const push = [`repository:${o.gun}:push,pull`];
  const refused = (err: unknown, what: string): unknown => (isImgsealError(err, 'UNAUTHORIZED') ? unauthorized(err as ImgsealError, what, url.host, found, o.registry) : err);
  const http: NotaryHttp = {
    async get(path, what, limit) {
      const res = await client.send({ method: 'GET', path, what, expect: [200, 404] }, base).catch((err: unknown) => {
        throw refused(err, what);
      });
      if (res.statusCode === 404) {
        await res.body.dump();
        return undefined;
      }
      return readLimited(res.body, limit, what);
    },
    async post(path, body, contentType, what) {
      const res = await client
        .send({ method: 'POST', path, body, headers: { 'content-type': contentType }, what, expect: [200, 201, 204], scopes: push }, base)
        .catch((err: unknown) => {
          throw refused(err, what);
        });
      await res.body.dump();
    },
    async close() {
      await client.close();
      await dispatcher?.close().catch(() => undefined);
    },
  };
  return new NotaryClient(http, url.host);
}

/**
 * A refusal as one line that names the trust server (`what` does), the 401 and where
 * credentials were looked for. The HTTP layer's text (token server and its answer) is kept after it.
 */
function unauthorized(err: ImgsealError, what: string, host: string, found: TrustServerCredential, registry: { domain: string } | undefined): ImgsealError {
  // The HTTP layer's own hint (a trailing "(no credentials …)", "(check the username …)") is replaced by ours.
  const inner = (err.message.startsWith(`${what}: `) ? err.message.slice(what.length + 2) : err.message).replace(/ \([^()]*\)$/, '');
  const where = registry && registry.domain !== host ? `${host} or the registry ${registry.domain}` : host;
  const from = found.source === '--creds' ? '--creds' : `the entry for ${found.source}`;
  const creds = found.credential
    ? err instanceof TokenRefusedError
      ? `the credentials from ${from} were accepted, but their token does not grant ${err.scopes.join(' ') || 'this request'} (is the user allowed to ${/:[^:]*push[^:]*$/.test(err.scopes.join(' ')) ? 'publish' : 'read'} here?)`
      : `the credentials from ${from} were refused`
    : `no credentials for ${where} (use --creds, or imgseal login ${registry?.domain ?? host})`;
  return new ImgsealError('UNAUTHORIZED', `${what}: the trust server answered 401 Unauthorized; ${creds}: ${inner}`, { cause: err });
}
