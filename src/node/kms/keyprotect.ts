/**
 * IBM Key Protect over its REST API: an IAM access token from the API key, then
 * `POST {url}/api/v2/keys/{id}/actions/wrap|unwrap` with the `bluemix-instance`
 * header. The plaintext Key Protect wraps must be base64; as in the seeds
 * (`ibmcloud kp key wrap --plaintext "$(base64 < private.pem)"`) it is the base64 of
 * the key file, so unwrapping gives the key file back.
 *
 * What a ciphertext carries: it is base64 of JSON `{"ciphertext","iv","version",
 * "handle"}`, and `handle` is the id of the root key version that wrapped it — the
 * root key's own id until the key is rotated. So a ciphertext names its root key
 * unless the key was rotated; `root-key-id` covers that case.
 *
 * API keys and tokens never appear in messages.
 */
import { readFile } from 'node:fs/promises';
import { ImgsealError } from '../../errors.js';
import type { Kms, UnwrapHints } from './kms.js';
import { parseStrictJsonObject } from './strict-json.js';

export const DEFAULT_IAM_URL = 'https://iam.cloud.ibm.com';

export interface KeyProtectConfig {
  /** `keyprotect-url`, e.g. https://us-south.kms.cloud.ibm.com */
  url: string;
  /** `instance-id`: the bluemix-instance header. */
  instanceId: string;
  /** `apikey` */
  apiKey: string;
  /** `iam-url` (default IBM Cloud's IAM). */
  iamUrl: string;
  /** `root-key-id`: for ciphertexts that do not name their root key. */
  rootKeyId?: string;
}

const FIELDS = ['keyprotect-url', 'instance-id', 'apikey', 'iam-url', 'root-key-id'] as const;

function kmsError(message: string): ImgsealError {
  return new ImgsealError('KMS_ERROR', message);
}

export function parseKeyProtectConfig(text: string, where: string): KeyProtectConfig {
  const o = parseStrictJsonObject(text, where, FIELDS, 'KMS_ERROR');
  const str = (k: string, required: boolean): string | undefined => {
    const v = o[k];
    if (v === undefined && !required) return undefined;
    if (typeof v !== 'string' || v === '') throw kmsError(`${where}: "${k}" must be a non-empty string`);
    return v;
  };
  const url = str('keyprotect-url', true) as string;
  const iamUrl = str('iam-url', false) ?? DEFAULT_IAM_URL;
  for (const [k, u] of [['keyprotect-url', url], ['iam-url', iamUrl]] as const) {
    if (!/^https?:\/\//.test(u)) throw kmsError(`${where}: "${k}" is not an http(s) URL`);
  }
  const rootKeyId = str('root-key-id', false);
  return { url: url.replace(/\/+$/, ''), instanceId: str('instance-id', true) as string, apiKey: str('apikey', true) as string, iamUrl: iamUrl.replace(/\/+$/, ''), ...(rootKeyId ? { rootKeyId } : {}) };
}

export async function loadKeyProtectConfig(path: string): Promise<KeyProtectConfig> {
  let text: string;
  try {
    text = await readFile(path, 'utf8');
  } catch (err) {
    throw kmsError(`cannot read Key Protect config ${path}: ${(err as NodeJS.ErrnoException).code ?? 'error'}`);
  }
  return parseKeyProtectConfig(text, path);
}

/** The root key version id a ciphertext names (its `handle`), if it is Key Protect's shape. */
export function ciphertextHandle(ciphertext: string): string | undefined {
  try {
    const o = JSON.parse(Buffer.from(ciphertext, 'base64').toString('utf8')) as { handle?: unknown };
    return typeof o.handle === 'string' && o.handle !== '' ? o.handle : undefined;
  } catch {
    return undefined;
  }
}

export interface KeyProtectOptions {
  /** Injected transport (tests, custom TLS); default: the global fetch. */
  fetch?: typeof fetch;
  /** ms per request (default 30 s). */
  timeoutMs?: number;
  now?: () => number;
}

interface Token {
  value: string;
  expiresAt: number;
}

export class KeyProtectClient {
  private token: Token | undefined;
  private readonly fetch: typeof fetch;
  private readonly timeoutMs: number;
  private readonly now: () => number;

  constructor(
    readonly config: KeyProtectConfig,
    opts: KeyProtectOptions = {},
  ) {
    this.fetch = opts.fetch ?? fetch;
    this.timeoutMs = opts.timeoutMs ?? 30_000;
    this.now = opts.now ?? Date.now;
  }

  /** Wraps a key file; returns the `ciphertext` string (what a kp-key Secret holds). */
  async wrap(rootKeyId: string, keyFile: Uint8Array): Promise<string> {
    const body = { plaintext: Buffer.from(keyFile).toString('base64'), aad: [] as string[] };
    const res = await this.action(rootKeyId, 'wrap', body);
    if (typeof res.ciphertext !== 'string' || res.ciphertext === '') throw kmsError('Key Protect wrap: the reply has no ciphertext');
    return res.ciphertext;
  }

  /**
   * Unwraps a ciphertext back to the key file. The root key: `rootKeyId` when given,
   * else the ciphertext's handle, else the config's root-key-id (tried in that order
   * while Key Protect answers 404).
   */
  async unwrap(ciphertext: string, rootKeyId?: string): Promise<Buffer> {
    const ids = [...new Set([rootKeyId, ciphertextHandle(ciphertext), this.config.rootKeyId].filter((x): x is string => !!x))];
    if (ids.length === 0) throw kmsError('Key Protect unwrap: the ciphertext does not name its root key; set root-key-id in the Key Protect config');
    let last: ImgsealError | undefined;
    for (const id of ids) {
      try {
        const res = await this.action(id, 'unwrap', { ciphertext, aad: [] as string[] });
        if (typeof res.plaintext !== 'string') throw kmsError('Key Protect unwrap: the reply has no plaintext');
        return Buffer.from(res.plaintext, 'base64');
      } catch (err) {
        if (err instanceof KmsHttpError && err.status === 404) {
          last = err;
          continue;
        }
        throw err;
      }
    }
    throw last ?? kmsError('Key Protect unwrap failed');
  }

  private async action(keyId: string, action: 'wrap' | 'unwrap', body: object): Promise<Record<string, unknown>> {
    const token = await this.accessToken();
    const url = `${this.config.url}/api/v2/keys/${encodeURIComponent(keyId)}/actions/${action}`;
    const res = await this.request(url, {
      method: 'POST',
      headers: {
        authorization: `Bearer ${token}`,
        'bluemix-instance': this.config.instanceId,
        'content-type': 'application/vnd.ibm.kms.key_action+json',
        accept: 'application/json',
      },
      body: JSON.stringify(body),
    }, `Key Protect ${action} with root key ${keyId}`);
    if (res.status === 401) this.token = undefined;
    return this.json(res, `Key Protect ${action} with root key ${keyId}`);
  }

  private async accessToken(): Promise<string> {
    if (this.token && this.token.expiresAt > this.now() + 60_000) return this.token.value;
    const res = await this.request(`${this.config.iamUrl}/identity/token`, {
      method: 'POST',
      headers: { 'content-type': 'application/x-www-form-urlencoded', accept: 'application/json' },
      body: new URLSearchParams({ grant_type: 'urn:ibm:params:oauth:grant-type:apikey', apikey: this.config.apiKey }).toString(),
    }, 'IAM token request');
    const o = await this.json(res, 'IAM token request (check the apikey)');
    if (typeof o.access_token !== 'string' || o.access_token === '') throw kmsError('IAM token request: the reply has no access_token');
    const ttl = typeof o.expires_in === 'number' ? o.expires_in * 1000 : 3_600_000;
    this.token = { value: o.access_token, expiresAt: this.now() + ttl };
    return this.token.value;
  }

  private async request(url: string, init: RequestInit, what: string): Promise<Response> {
    try {
      return await this.fetch(url, { ...init, signal: AbortSignal.timeout(this.timeoutMs) });
    } catch (err) {
      const cause = (err as { cause?: { code?: string } }).cause?.code ?? (err as Error).name;
      throw kmsError(`${what}: cannot reach ${new URL(url).origin} (${cause})`);
    }
  }

  private async json(res: Response, what: string): Promise<Record<string, unknown>> {
    const text = await res.text();
    let o: unknown;
    try {
      o = JSON.parse(text);
    } catch {
      o = undefined;
    }
    if (!res.ok) {
      // Key Protect's error shape: {"resources":[{"errorMsg":"..."}]}; IAM's: {"errorMessage":"..."}.
      const r = o as { resources?: { errorMsg?: unknown }[]; errorMessage?: unknown } | undefined;
      const msg = r?.resources?.[0]?.errorMsg ?? r?.errorMessage;
      throw new KmsHttpError(res.status, `${what}: HTTP ${res.status}${typeof msg === 'string' ? `: ${msg.slice(0, 200)}` : ''}`);
    }
    if (typeof o !== 'object' || o === null || Array.isArray(o)) throw kmsError(`${what}: the reply is not a JSON object`);
    return o as Record<string, unknown>;
  }
}

/** Key Protect behind the KMS interface: wraps with one root key, unwraps with whichever the ciphertext names. */
export class KeyProtectKms implements Kms {
  readonly backend = 'keyprotect';

  constructor(
    readonly client: KeyProtectClient,
    /** The root key for wrap (default: the config's root-key-id). */
    private readonly rootKeyId?: string,
  ) {}

  wrap(keyFile: Uint8Array): Promise<string> {
    const id = this.rootKeyId ?? this.client.config.rootKeyId;
    if (!id) return Promise.reject(kmsError('Key Protect wrap needs a root key: --root-key-id, or root-key-id in the Key Protect config'));
    return this.client.wrap(id, keyFile);
  }

  unwrap(wrapped: string, hints?: UnwrapHints): Promise<Buffer> {
    return this.client.unwrap(wrapped.trim(), hints?.rootKeyId);
  }
}

export class KmsHttpError extends ImgsealError {
  constructor(
    readonly status: number,
    message: string,
  ) {
    super('KMS_ERROR', message);
  }
}
