/**
 * Registry authorisation: none, Basic, or the Bearer token flow of the distribution
 * spec (challenge → token from `realm?service=&scope=` → `Authorization: Bearer`).
 * Tokens are cached per scope set and refreshed when they are about to expire or when
 * the registry answers 401 to one (a stale or revoked token). With an identity token
 * (OAuth2 refresh token) the token comes from an OAuth2 POST instead.
 */
import type { Dispatcher } from 'undici';
import { httpRequest } from './undici.js';
import { ImgsealError } from '../errors.js';
import { registerSecret } from '../util/redact.js';
import { raceAbort } from '../util/abort.js';
import type { Challenge } from './challenge.js';
import type { Credential } from './credentials.js';
import { describeErrorBody, isTransientNetworkError, networkError } from './errors.js';
import { backoffDelay, isRetryableStatus, type RetryOptions } from './retry.js';
import { readText } from './body.js';

const RENEW_MARGIN_MS = 10_000;
const DEFAULT_TOKEN_LIFETIME_S = 60;
const USER_AGENT = 'imgseal/0.1';

interface CachedToken {
  token: string;
  expiresAt: number;
}

export interface AuthorizerOptions {
  /** `host[:port]` of the registry, for messages. */
  host: string;
  credential: Credential | undefined;
  dispatcher: Dispatcher;
  retry: RetryOptions;
  now?: () => number;
  /** Header/body timeout per token request (HttpContext.timeoutMs). */
  timeoutMs?: number;
}

export class Authorizer {
  private challenge: Challenge | undefined;
  private readonly tokens = new Map<string, Promise<CachedToken>>();
  private readonly now: () => number;

  constructor(private readonly o: AuthorizerOptions) {
    this.now = o.now ?? Date.now;
  }

  get hasCredential(): boolean {
    return this.o.credential !== undefined;
  }

  /** What kind of credential is in use (for messages). */
  get credentialKind(): Credential['kind'] | undefined {
    return this.o.credential?.kind;
  }

  /** Records the challenge from a ping or a 401; true when it is a scheme we can answer. */
  setChallenge(challenges: Challenge[]): boolean {
    const c = challenges.find((x) => x.scheme === 'bearer') ?? challenges.find((x) => x.scheme === 'basic');
    if (c) this.challenge = c;
    return c !== undefined;
  }

  get scheme(): string | undefined {
    return this.challenge?.scheme;
  }

  /** The Authorization header value for a request needing `scopes`, or undefined. */
  async header(scopes: string[], signal?: AbortSignal): Promise<string | undefined> {
    const ch = this.challenge;
    if (!ch) return undefined;
    const cred = this.o.credential;
    if (ch.scheme === 'basic') {
      if (!cred || cred.kind !== 'basic') return undefined;
      return `Basic ${Buffer.from(`${cred.username}:${cred.password}`).toString('base64')}`;
    }
    if (cred?.kind === 'registry-token') return `Bearer ${cred.token}`;
    const key = [...new Set(scopes)].sort().join(' ');
    let p = this.tokens.get(key);
    if (p) {
      const t = await p.catch(() => undefined);
      if (!t || t.expiresAt - RENEW_MARGIN_MS <= this.now()) p = undefined;
    }
    if (!p) {
      p = this.fetchToken(ch, key.split(' ').filter(Boolean), signal);
      this.tokens.set(key, p);
      p.catch(() => this.tokens.delete(key));
    }
    return `Bearer ${(await p).token}`;
  }

  /** Drops a token the registry refused so the next header() fetches a fresh one. */
  invalidate(scopes: string[]): void {
    this.tokens.delete([...new Set(scopes)].sort().join(' '));
  }

  private async fetchToken(ch: Challenge, scopes: string[], signal?: AbortSignal): Promise<CachedToken> {
    const realm = ch.params.realm;
    if (!realm) throw new ImgsealError('REGISTRY_ERROR', `registry ${this.o.host} asked for a bearer token without a realm`);
    let url: URL;
    try {
      url = new URL(realm);
    } catch {
      throw new ImgsealError('REGISTRY_ERROR', `registry ${this.o.host} sent an invalid token realm "${realm}"`);
    }
    const service = ch.params.service;
    const cred = this.o.credential;
    const headers: Record<string, string> = { 'user-agent': USER_AGENT };
    let method: 'GET' | 'POST' = 'GET';
    let body: string | undefined;
    if (cred?.kind === 'identity-token') {
      // OAuth2 refresh-token grant (what docker does with an identity token).
      method = 'POST';
      const form = new URLSearchParams({ grant_type: 'refresh_token', refresh_token: cred.token, client_id: 'imgseal' });
      if (service) form.set('service', service);
      if (scopes.length > 0) form.set('scope', scopes.join(' '));
      body = form.toString();
      headers['content-type'] = 'application/x-www-form-urlencoded';
    } else {
      if (service) url.searchParams.set('service', service);
      for (const s of scopes) url.searchParams.append('scope', s);
      if (cred?.kind === 'basic') headers.authorization = `Basic ${Buffer.from(`${cred.username}:${cred.password}`).toString('base64')}`;
    }
    const what = `getting a token for ${this.o.host} from ${url.origin}${url.pathname}`;
    for (let attempt = 0; ; attempt++) {
      let res: Dispatcher.ResponseData;
      try {
        const timeouts = this.o.timeoutMs !== undefined ? { headersTimeout: this.o.timeoutMs, bodyTimeout: this.o.timeoutMs } : {};
        res = await raceAbort(httpRequest(this.o.dispatcher, url, { method, headers, body, signal, ...timeouts }), signal);
      } catch (err) {
        if (attempt < this.o.retry.retryTimes && isTransientNetworkError(err)) {
          await this.o.retry.sleep(backoffDelay(this.o.retry, attempt + 1), signal);
          continue;
        }
        throw networkError(what, url.host, err, this.o.timeoutMs);
      }
      const text = await readText(res.body, 1 << 20);
      if (isRetryableStatus(res.statusCode) && attempt < this.o.retry.retryTimes) {
        await this.o.retry.sleep(backoffDelay(this.o.retry, attempt + 1, res.headers['retry-after']), signal);
        continue;
      }
      if (res.statusCode === 401 || res.statusCode === 403) {
        const why = cred ? 'invalid username/password' : 'authentication required (no credentials found; use --creds or imgseal login)';
        throw new ImgsealError('UNAUTHORIZED', `${what}: ${why}`);
      }
      if (res.statusCode !== 200) throw new ImgsealError('REGISTRY_ERROR', `${what}: ${describeErrorBody(res.statusCode, text)}`);
      let doc: { token?: unknown; access_token?: unknown; expires_in?: unknown; issued_at?: unknown };
      try {
        doc = JSON.parse(text) as typeof doc;
      } catch {
        throw new ImgsealError('REGISTRY_ERROR', `${what}: the answer is not JSON`);
      }
      const token = typeof doc.token === 'string' && doc.token ? doc.token : typeof doc.access_token === 'string' ? doc.access_token : '';
      if (!token) throw new ImgsealError('REGISTRY_ERROR', `${what}: the answer holds no token`);
      registerSecret(token);
      if (typeof (doc as { refresh_token?: unknown }).refresh_token === 'string') registerSecret((doc as { refresh_token: string }).refresh_token);
      const life = typeof doc.expires_in === 'number' && doc.expires_in >= DEFAULT_TOKEN_LIFETIME_S ? doc.expires_in : DEFAULT_TOKEN_LIFETIME_S;
      const issued = typeof doc.issued_at === 'string' ? Date.parse(doc.issued_at) : NaN;
      const base = Number.isFinite(issued) && issued <= this.now() ? issued : this.now();
      return { token, expiresAt: base + life * 1000 };
    }
  }
}
