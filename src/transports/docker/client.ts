/**
 * The client for one registry and repository: scheme detection and the auth challenge
 * from a `/v2/` ping (https first; http too only with tlsVerify=false, as
 * containers/image), and repository-scoped tokens. Authorisation, retries and error
 * mapping are the shared HTTP layer's (src/http/); the undici dispatcher can be
 * handed in through SystemContext.
 */
import type { Dispatcher } from 'undici';
import { ImgsealError } from '../../errors.js';
import { discard, parseChallenges, readText, describeErrorBody, HttpClient, type RequestSpec, type RetryOptions } from '../../http/index.js';
import type { SystemContext } from '../context.js';
import { apiHostOf, type ParsedDockerReference } from './reference.js';

export type { RequestSpec } from '../../http/index.js';

export interface ClientOptions {
  ref: ParsedDockerReference;
  /** Actions on the repository the client needs: ['pull'] or ['pull','push']. */
  actions: string[];
  ctx: SystemContext;
}

export class RegistryClient {
  readonly domain: string;
  readonly apiHost: string;
  readonly repository: string;
  private base: Promise<string> | undefined;

  private constructor(
    ref: ParsedDockerReference,
    private readonly ctx: SystemContext,
    private readonly http: HttpClient,
  ) {
    this.domain = ref.domain;
    this.apiHost = apiHostOf(ref.domain);
    this.repository = ref.repository;
  }

  static async open(o: ClientOptions): Promise<RegistryClient> {
    const { ref, ctx } = o;
    const http = await HttpClient.open({
      host: ref.domain,
      credentialPath: ref.repository,
      scopes: [`repository:${ref.repository}:${o.actions.join(',')}`],
      ctx,
    });
    return new RegistryClient(ref, ctx, http);
  }

  get retry(): RetryOptions {
    return this.http.retry;
  }

  get dispatcher(): Dispatcher {
    return this.http.dispatcher;
  }

  /** Adds a scope (e.g. `repository:other:pull` for a cross-repository mount). */
  addScope(scope: string): void {
    this.http.addScope(scope);
  }

  /** `scheme://host`, after a ping that also learns the auth challenge. */
  baseUrl(signal?: AbortSignal): Promise<string> {
    this.base ??= this.ping(signal);
    this.base.catch(() => (this.base = undefined));
    return this.base;
  }

  private async ping(signal?: AbortSignal): Promise<string> {
    const schemes = this.ctx.tlsVerify === false ? ['https', 'http'] : ['https'];
    let firstErr: unknown;
    for (const scheme of schemes) {
      const base = `${scheme}://${this.apiHost}`;
      try {
        const what = `pinging container registry ${this.domain}`;
        const any = Array.from({ length: 500 }, (_, i) => i);
        const res = await this.http.send({ method: 'GET', path: `${base}/v2/`, what, expect: any, noAuth: true, signal }, base);
        if (res.statusCode === 401) this.http.auth.setChallenge(parseChallenges(res.headers['www-authenticate']));
        const text = await readText(res.body);
        if (res.statusCode !== 200 && res.statusCode !== 401) {
          throw new ImgsealError('REGISTRY_ERROR', `${what}: invalid status code from registry: ${describeErrorBody(res.statusCode, text)}`);
        }
        return base;
      } catch (err) {
        firstErr ??= err;
        // Only connection-level failures make the plain-HTTP fallback worth a try.
        if (err instanceof ImgsealError && err.code !== 'TLS_ERROR' && err.code !== 'NETWORK_ERROR') throw err;
      }
    }
    throw firstErr;
  }

  /** Sends a request with auth and retries; returns the response for an expected status. */
  async request(spec: RequestSpec): Promise<Dispatcher.ResponseData> {
    return this.http.send(spec, await this.baseUrl(spec.signal));
  }

  /** A request whose whole (bounded) body is wanted, e.g. a manifest (see HttpClient.fetchBytes). */
  async fetchBytes(spec: RequestSpec, limit: number): Promise<{ res: Dispatcher.ResponseData; bytes: Buffer }> {
    return this.http.fetchBytes(spec, await this.baseUrl(spec.signal), limit, this.apiHost);
  }

  /** Verifies the credentials against `/v2/` (what `login` does before saving them). */
  async checkAuth(signal?: AbortSignal): Promise<void> {
    const res = await this.request({ method: 'GET', path: '/v2/', what: `authenticating to ${this.domain}`, expect: [200], scopes: [], signal });
    await discard(res.body);
  }

  async close(): Promise<void> {
    await this.http.close();
  }
}
