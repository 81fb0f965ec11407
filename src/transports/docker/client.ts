/**
 * The HTTP client for one registry and repository: scheme detection and the auth
 * challenge from a `/v2/` ping (https first; http too only with tlsVerify=false, as
 * containers/image), authorisation per request, retries with backoff, and clear
 * errors. Built from SystemContext; the undici dispatcher can be handed in.
 */
import type { Readable } from 'node:stream';
import type { Dispatcher } from 'undici';
import { httpRequest } from './undici.js';
import { ImgsealError } from '../../errors.js';
import type { SystemContext } from '../context.js';
import { Authorizer } from './auth.js';
import { discard, readLimited, readText } from './body.js';
import { parseChallenges } from './challenge.js';
import { resolveCredentials, type Credential } from './credentials.js';
import { describeErrorBody, httpError, isTransientNetworkError, networkError } from './http-errors.js';
import { apiHostOf, type ParsedDockerReference } from './reference.js';
import { backoffDelay, isRetryableStatus, retryOptions, type RetryOptions } from './retry.js';
import { buildAgent, certDirFor, loadTlsMaterial } from './tls.js';

export interface RequestSpec {
  method: 'GET' | 'HEAD' | 'PUT' | 'POST' | 'PATCH' | 'DELETE';
  /** A path under the registry (`/v2/…`) or an absolute URL (upload Location, redirect). */
  path: string;
  headers?: Record<string, string>;
  /** A Buffer can be re-sent on retry; a stream cannot (no retry then). */
  body?: Buffer | Readable;
  /** What we were doing, for error messages: `reading manifest latest in host/repo`. */
  what: string;
  /** Statuses returned to the caller; any other status becomes an error. */
  expect: number[];
  /** Send no Authorization (a redirect to another host, e.g. blob storage). */
  noAuth?: boolean;
  /** Token scopes instead of the client's own (login checks with none). */
  scopes?: string[];
  signal?: AbortSignal;
}

export interface ClientOptions {
  ref: ParsedDockerReference;
  /** Actions on the repository the client needs: ['pull'] or ['pull','push']. */
  actions: string[];
  ctx: SystemContext;
}

const USER_AGENT = 'imgseal/0.1';

export class RegistryClient {
  readonly domain: string;
  readonly apiHost: string;
  readonly repository: string;
  readonly retry: RetryOptions;
  private readonly scopes: string[];
  private base: Promise<string> | undefined;

  private constructor(
    ref: ParsedDockerReference,
    actions: string[],
    private readonly ctx: SystemContext,
    readonly dispatcher: Dispatcher,
    private readonly ownsDispatcher: boolean,
    private readonly auth: Authorizer,
    retry: RetryOptions,
  ) {
    this.domain = ref.domain;
    this.apiHost = apiHostOf(ref.domain);
    this.repository = ref.repository;
    this.retry = retry;
    this.scopes = [`repository:${ref.repository}:${actions.join(',')}`];
  }

  static async open(o: ClientOptions): Promise<RegistryClient> {
    const { ref, ctx } = o;
    const verify = ctx.tlsVerify !== false;
    let dispatcher = ctx.dispatcher as Dispatcher | undefined;
    const owns = dispatcher === undefined;
    if (!dispatcher) dispatcher = buildAgent(await loadTlsMaterial(await certDirFor(ref.domain, ctx)), verify);
    let credential: Credential | undefined;
    try {
      credential = await resolveCredentials(ref.domain, ref.repository, ctx);
    } catch (err) {
      if (owns) await dispatcher.close().catch(() => undefined);
      throw err;
    }
    const retry = retryOptions(ctx);
    const auth = new Authorizer({ host: ref.domain, credential, dispatcher, retry });
    return new RegistryClient(ref, o.actions, ctx, dispatcher, owns, auth, retry);
  }

  /** Adds a scope (e.g. `repository:other:pull` for a cross-repository mount). */
  addScope(scope: string): void {
    if (!this.scopes.includes(scope)) this.scopes.push(scope);
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
        const res = await this.send({ method: 'GET', path: `${base}/v2/`, what, expect: any, noAuth: true, signal }, base);
        if (res.statusCode === 401) this.auth.setChallenge(parseChallenges(res.headers['www-authenticate']));
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
    const base = await this.baseUrl(spec.signal);
    return this.send(spec, base);
  }

  private async send(spec: RequestSpec, base: string): Promise<Dispatcher.ResponseData> {
    const url = /^https?:\/\//.test(spec.path) ? spec.path : `${base}${spec.path}`;
    const replayable = !(spec.body !== undefined && !Buffer.isBuffer(spec.body));
    let authRetried = false;
    // Bounded: each `continue` either increments `attempt` (≤ retryTimes) or sets authRetried once.
    for (let attempt = 0; ; ) {
      const headers: Record<string, string> = { 'user-agent': USER_AGENT, ...spec.headers };
      const sameHost = new URL(url).host === new URL(base).host;
      if (!spec.noAuth && sameHost) {
        const h = await this.auth.header(spec.scopes ?? this.scopes, spec.signal);
        if (h) headers.authorization = h;
      }
      let res: Dispatcher.ResponseData;
      try {
        res = await httpRequest(this.dispatcher, url, { method: spec.method, headers, body: spec.body, signal: spec.signal });
      } catch (err) {
        if (replayable && attempt < this.retry.retryTimes && isTransientNetworkError(err)) {
          attempt++;
          await this.retry.sleep(backoffDelay(this.retry, attempt), spec.signal);
          continue;
        }
        throw networkError(spec.what, new URL(url).host, err);
      }
      const status = res.statusCode;
      if (status === 401 && !spec.noAuth && sameHost && replayable && !authRetried) {
        // A stale token, or a registry that wants more scope than we asked: one fresh try.
        const fresh = parseChallenges(res.headers['www-authenticate']);
        const extra = fresh.find((c) => c.scheme === 'bearer')?.params.scope;
        await discard(res.body);
        if (this.auth.setChallenge(fresh) && (this.auth.scheme === 'bearer' || this.auth.hasCredential)) {
          this.auth.invalidate(spec.scopes ?? this.scopes);
          for (const s of extra?.split(' ') ?? []) if (s.startsWith('repository:')) this.addScope(s);
          authRetried = true;
          continue;
        }
        throw this.unauthorized(spec.what, status, '');
      }
      if (isRetryableStatus(status) && replayable && attempt < this.retry.retryTimes && !spec.expect.includes(status)) {
        await discard(res.body);
        attempt++;
        await this.retry.sleep(backoffDelay(this.retry, attempt, res.headers['retry-after']), spec.signal);
        continue;
      }
      if (status === 401) this.auth.invalidate(spec.scopes ?? this.scopes); // never reuse a token the registry refused
      if (spec.expect.includes(status)) return res;
      const text = spec.method === 'HEAD' ? '' : await readText(res.body);
      if (spec.method === 'HEAD') await discard(res.body);
      if (status === 401) throw this.unauthorized(spec.what, status, text);
      throw httpError(spec.what, status, text);
    }
  }

  private unauthorized(what: string, status: number, body: string): ImgsealError {
    const kind = this.auth.credentialKind;
    const hint =
      kind === 'registry-token'
        ? `(the registry token was refused by ${this.domain})`
        : kind
          ? `(check the username and password for ${this.domain})`
          : `(no credentials for ${this.domain}; use --creds or imgseal login)`;
    const detail = body ? describeErrorBody(status, body) : 'unauthorized: authentication required';
    return new ImgsealError('UNAUTHORIZED', `${what}: ${detail} ${hint}`);
  }

  /**
   * A request whose whole (bounded) body is wanted, e.g. a manifest: a connection that
   * breaks while the body is read is retried like one that breaks before the answer.
   */
  async fetchBytes(spec: RequestSpec, limit: number): Promise<{ res: Dispatcher.ResponseData; bytes: Buffer }> {
    // Bounded: every `continue` uses one of retryTimes attempts.
    for (let attempt = 0; ; attempt++) {
      const res = await this.request(spec);
      try {
        return { res, bytes: await readLimited(res.body, limit, spec.what) };
      } catch (err) {
        if (err instanceof ImgsealError) throw err;
        if (isTransientNetworkError(err) && attempt < this.retry.retryTimes) {
          await this.retry.sleep(backoffDelay(this.retry, attempt + 1), spec.signal);
          continue;
        }
        throw networkError(spec.what, this.apiHost, err);
      }
    }
  }

  /** Verifies the credentials against `/v2/` (what `login` does before saving them). */
  async checkAuth(signal?: AbortSignal): Promise<void> {
    const res = await this.request({ method: 'GET', path: '/v2/', what: `authenticating to ${this.domain}`, expect: [200], scopes: [], signal });
    await discard(res.body);
  }

  async close(): Promise<void> {
    if (this.ownsDispatcher) await this.dispatcher.close().catch(() => undefined);
  }
}
