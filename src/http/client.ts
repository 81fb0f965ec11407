/**
 * An authorised HTTP client for one server: the Authorization header per request
 * (Basic or a bearer token for the request's scopes), one fresh try after a 401 (a
 * stale token, or a server that wants more scope), retries with backoff on transient
 * failures and 429/5xx, and one clear ImgsealError line for anything else. What the
 * base URL is and how it is found (e.g. the registry's `/v2/` ping) is the caller's.
 */
import type { Readable } from 'node:stream';
import type { Dispatcher } from 'undici';
import { ImgsealError } from '../errors.js';
import { Authorizer } from './authorizer.js';
import { discard, readLimited, readText } from './body.js';
import { parseChallenges } from './challenge.js';
import { DEFAULT_TIMEOUT_MS, type HttpContext } from './context.js';
import { abortedError, raceAbort } from '../util/abort.js';
import { resolveCredentials, type Credential } from './credentials.js';
import { describeErrorBody, httpError, isTransientNetworkError, networkError, TokenRefusedError } from './errors.js';
import { backoffDelay, isRetryableStatus, retryOptions, type RetryOptions } from './retry.js';
import { dispatcherFor } from './tls.js';
import { httpRequest } from './undici.js';

export const USER_AGENT = 'imgseal/0.1';

export interface RequestSpec {
  method: 'GET' | 'HEAD' | 'PUT' | 'POST' | 'PATCH' | 'DELETE';
  /** A path under the base URL (`/v2/…`) or an absolute URL (upload Location, redirect). */
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

export interface HttpClientOptions {
  /** `host[:port]` as users name the server, for messages and credential lookup. */
  host: string;
  /** The repository-like path credentials are looked up for (auth.json keys `host/ns/repo`). */
  credentialPath?: string;
  /** Token scopes requests need unless a request names its own. */
  scopes: string[];
  ctx: HttpContext;
  /**
   * Credentials the caller already chose (null: anonymous), instead of looking them up
   * for `host`: a trust server is answered with its registry's credentials, as docker does.
   */
  credential?: Credential | null;
}

export class HttpClient {
  readonly host: string;
  readonly retry: RetryOptions;
  readonly auth: Authorizer;
  private readonly scopes: string[];
  /** The context's signal (e.g. Ctrl-C), joined to each request's own. */
  private readonly signal: AbortSignal | undefined;
  /** Per-request header/body timeouts when the caller set one (an injected dispatcher has its own otherwise). */
  private readonly timeouts: { headersTimeout?: number; bodyTimeout?: number };

  private constructor(
    o: HttpClientOptions,
    readonly dispatcher: Dispatcher,
    private readonly ownsDispatcher: boolean,
    credential: Credential | undefined,
  ) {
    this.host = o.host;
    this.scopes = [...o.scopes];
    this.retry = retryOptions(o.ctx);
    this.signal = o.ctx.signal;
    this.timeouts = o.ctx.timeoutMs !== undefined ? { headersTimeout: o.ctx.timeoutMs, bodyTimeout: o.ctx.timeoutMs } : {};
    this.auth = new Authorizer({ host: o.host, credential, dispatcher, retry: this.retry, now: o.ctx.now, timeoutMs: o.ctx.timeoutMs });
  }

  /** Builds the dispatcher (TLS from certs.d unless one is handed in) and finds the credentials. */
  static async open(o: HttpClientOptions): Promise<HttpClient> {
    const { ctx } = o;
    let dispatcher = ctx.dispatcher as Dispatcher | undefined;
    const owns = dispatcher === undefined;
    dispatcher ??= await dispatcherFor(o.host, ctx);
    let credential: Credential | undefined;
    try {
      credential = o.credential !== undefined ? (o.credential ?? undefined) : await resolveCredentials(o.host, o.credentialPath ?? '', ctx);
    } catch (err) {
      if (owns) await dispatcher.close().catch(() => undefined);
      throw err;
    }
    return new HttpClient(o, dispatcher, owns, credential);
  }

  /** Adds a scope (e.g. `repository:other:pull` for a cross-repository mount). */
  addScope(scope: string): void {
    if (!hasScope(this.scopes, scope)) this.scopes.push(scope);
  }

  /** Sends a request to `base` (or the absolute URL in spec.path) with auth and retries. */
  async send(request: RequestSpec, base: string): Promise<Dispatcher.ResponseData> {
    const spec = this.withContextSignal(request);
    const url = /^https?:\/\//.test(spec.path) ? spec.path : `${base}${spec.path}`;
    const replayable = !(spec.body !== undefined && !Buffer.isBuffer(spec.body));
    let authRetried = false;
    // Scopes a 401's challenge named beyond ours (e.g. notary's `/v2/` wants `registry:catalog:*`): asked for on the one retry.
    let challengeScopes: string[] = [];
    const scopesNow = (): string[] => [...(spec.scopes ?? this.scopes), ...challengeScopes];
    // Bounded: each `continue` either increments `attempt` (≤ retryTimes) or sets authRetried once.
    for (let attempt = 0; ; ) {
      const headers: Record<string, string> = { 'user-agent': USER_AGENT, ...spec.headers };
      const sameHost = new URL(url).host === new URL(base).host;
      if (!spec.noAuth && sameHost) {
        const h = await this.auth.header(scopesNow(), spec.signal);
        if (h) headers.authorization = h;
      }
      let res: Dispatcher.ResponseData;
      try {
        // raceAbort: undici takes an abort only once a connection is set up (up to the connect timeout).
        res = await raceAbort(httpRequest(this.dispatcher, url, { method: spec.method, headers, body: spec.body, signal: spec.signal, ...this.timeouts }), spec.signal);
      } catch (err) {
        if (spec.signal?.aborted) throw abortedError(spec.signal);
        if (replayable && attempt < this.retry.retryTimes && isTransientNetworkError(err)) {
          attempt++;
          await this.retry.sleep(backoffDelay(this.retry, attempt), spec.signal);
          continue;
        }
        throw networkError(spec.what, new URL(url).host, err, this.timeoutMs);
      }
      const status = res.statusCode;
      if (status === 401 && !spec.noAuth && sameHost && replayable && !authRetried) {
        // A stale token, or a server that wants more scope than we asked: one fresh try.
        const fresh = parseChallenges(res.headers['www-authenticate']);
        const extra = fresh.find((c) => c.scheme === 'bearer')?.params.scope;
        await discard(res.body);
        if (this.auth.setChallenge(fresh) && (this.auth.scheme === 'bearer' || this.auth.hasCredential)) {
          this.auth.invalidate(scopesNow());
          const asked = extra?.split(' ').filter(Boolean) ?? [];
          // Repository scopes are kept for the client's later requests; any scope is asked for on this retry.
          for (const s of asked) if (s.startsWith('repository:')) this.addScope(s);
          challengeScopes = asked.filter((s) => !hasScope(spec.scopes ?? this.scopes, s));
          authRetried = true;
          continue;
        }
        throw this.unauthorized(spec.what, status, '', scopesNow());
      }
      if (isRetryableStatus(status) && replayable && attempt < this.retry.retryTimes && !spec.expect.includes(status)) {
        await discard(res.body);
        attempt++;
        await this.retry.sleep(backoffDelay(this.retry, attempt, res.headers['retry-after']), spec.signal);
        continue;
      }
      if (status === 401) this.auth.invalidate(scopesNow()); // never reuse a token the server refused
      if (spec.expect.includes(status)) return res;
      const text = spec.method === 'HEAD' ? '' : await readText(res.body);
      if (spec.method === 'HEAD') await discard(res.body);
      if (status === 401) throw this.unauthorized(spec.what, status, text, scopesNow());
      throw httpError(spec.what, status, text);
    }
  }

  private get timeoutMs(): number {
    return this.timeouts.headersTimeout ?? DEFAULT_TIMEOUT_MS;
  }

  private withContextSignal(spec: RequestSpec): RequestSpec {
    if (!this.signal || spec.signal === this.signal) return spec;
    return { ...spec, signal: spec.signal ? AbortSignal.any([spec.signal, this.signal]) : this.signal };
  }

  private unauthorized(what: string, status: number, body: string, scopes: string[]): ImgsealError {
    const kind = this.auth.credentialKind;
    const detail = body ? describeErrorBody(status, body) : 'unauthorized: authentication required';
    if (kind === 'basic' && this.auth.scheme === 'bearer') {
      // The token server took the credentials (else fetching the token would have failed): the token lacks a grant.
      const grants = scopes.length > 0 ? scopes.join(' ') : 'this request';
      return new TokenRefusedError(`${what}: ${detail} (${this.host} refused the token issued for these credentials: they may not grant ${grants})`, scopes);
    }
    const hint =
      kind === 'registry-token'
        ? `(the registry token was refused by ${this.host})`
        : kind
          ? `(check the username and password for ${this.host})`
          : `(no credentials for ${this.host}; use --creds or imgseal login)`;
    return new ImgsealError('UNAUTHORIZED', `${what}: ${detail} ${hint}`);
  }

  /**
   * A request whose whole (bounded) body is wanted, e.g. a manifest: a connection that
   * breaks while the body is read is retried like one that breaks before the answer.
   * `connectHost` names the server in network errors.
   */
  async fetchBytes(request: RequestSpec, base: string, limit: number, connectHost = new URL(base).host): Promise<{ res: Dispatcher.ResponseData; bytes: Buffer }> {
    const spec = this.withContextSignal(request);
    // Bounded: every `continue` uses one of retryTimes attempts.
    for (let attempt = 0; ; attempt++) {
      const res = await this.send(spec, base);
      try {
        return { res, bytes: await readLimited(res.body, limit, spec.what) };
      } catch (err) {
        if (err instanceof ImgsealError) throw err;
        if (isTransientNetworkError(err) && attempt < this.retry.retryTimes) {
          await this.retry.sleep(backoffDelay(this.retry, attempt + 1), spec.signal);
          continue;
        }
        if (spec.signal?.aborted) throw abortedError(spec.signal);
        throw networkError(spec.what, connectHost, err, this.timeoutMs);
      }
    }
  }

  async close(): Promise<void> {
    if (!this.ownsDispatcher) return;
    // After a stop, close() would wait for a connection still being set up (up to the connect timeout).
    if (this.signal?.aborted) await this.dispatcher.destroy().catch(() => undefined);
    else await this.dispatcher.close().catch(() => undefined);
  }
}

/**
 * `repository:NAME:push,pull` and `repository:NAME:pull,push` are one scope: servers
 * write the actions in any order (notary-server's challenge order varies from run to run).
 * NAME may hold a colon (`host:port/repo`), so the actions are what follows the last one.
 */
function scopeKey(scope: string): string {
  const i = scope.lastIndexOf(':');
  if (i < 0) return scope;
  return `${scope.slice(0, i)}:${scope.slice(i + 1).split(',').filter(Boolean).sort().join(',')}`;
}

function hasScope(scopes: readonly string[], scope: string): boolean {
  const key = scopeKey(scope);
  return scopes.some((s) => scopeKey(s) === key);
}
