/**
 * A loopback stand-in for IBM Cloud IAM and Key Protect, following their public REST
 * API: `POST /identity/token` (grant_type apikey → access_token), and
 * `POST /api/v2/keys/{id}/actions/wrap|unwrap` with `Authorization: Bearer` and
 * `bluemix-instance`. Root keys are AES-256 keys held in memory; a ciphertext is base64
 * of JSON {ciphertext, iv, version "4.0.0", handle = the root key (version) id}, the
 * shape real Key Protect ciphertexts have. It is not Key Protect; the README says so.
 */
import { createCipheriv, createDecipheriv, randomBytes } from 'node:crypto';
import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';

export interface KpRequest {
  path: string;
  instance?: string;
  bearer?: string;
  body: string;
}

export class KeyProtectStandin {
  readonly apiKey = `standin-apikey-${randomBytes(8).toString('hex')}`;
  readonly instanceId = 'c0ffee00-0000-4000-8000-000000000001';
  readonly requests: KpRequest[] = [];
  private readonly rootKeys = new Map<string, Buffer>();
  private readonly tokens = new Set<string>();
  private server: Server | undefined;
  port = 0;
  /**
   * While set, unwrap requests wait for it before they are answered (tests use it to
   * hold a sync in the middle); `onHeld` is told when one starts waiting.
   */
  hold: { until: Promise<void>; onHeld?: () => void } | undefined;

  addRootKey(id: string): void {
    this.rootKeys.set(id, randomBytes(32));
  }

  get url(): string {
    return `http://127.0.0.1:${this.port}`;
  }

  /** A config.json as the seeds write it (plus iam-url for the stand-in). */
  config(apiKey = this.apiKey, extra: Record<string, string> = {}): string {
    return JSON.stringify({ 'keyprotect-url': this.url, 'instance-id': this.instanceId, apikey: apiKey, 'iam-url': this.url, ...extra });
  }

  async start(): Promise<void> {
    this.server = createServer((req, res) => {
      let body = '';
      req.setEncoding('utf8').on('data', (d: string) => (body += d));
      req.on('end', () => {
        const hold = this.hold;
        if (hold && /\/actions\/unwrap$/.test(req.url ?? '')) {
          hold.onHeld?.();
          void hold.until.then(() => this.handle(req, res, body));
        } else this.handle(req, res, body);
      });
    });
    await new Promise<void>((resolve) => this.server?.listen(0, '127.0.0.1', resolve));
    this.port = (this.server.address() as { port: number }).port;
  }

  async stop(): Promise<void> {
    this.server?.closeAllConnections();
    await new Promise<void>((resolve) => this.server?.close(() => resolve()));
  }

  private handle(req: IncomingMessage, res: ServerResponse, body: string): void {
    const url = new URL(req.url ?? '/', 'http://x');
    const bearer = req.headers.authorization?.replace(/^Bearer /, '');
    const instance = req.headers['bluemix-instance'] as string | undefined;
    this.requests.push({ path: url.pathname, ...(instance ? { instance } : {}), ...(bearer ? { bearer } : {}), body });
    const reply = (code: number, o: object): void => {
      res.writeHead(code, { 'content-type': 'application/json' });
      res.end(JSON.stringify(o));
    };
    const kpError = (code: number, msg: string): void => reply(code, { metadata: { collectionType: 'application/vnd.ibm.kms.error+json', collectionTotal: 1 }, resources: [{ errorMsg: msg }] });
    if (url.pathname === '/identity/token' && req.method === 'POST') {
      const form = new URLSearchParams(body);
      if (form.get('grant_type') !== 'urn:ibm:params:oauth:grant-type:apikey' || form.get('apikey') !== this.apiKey) {
        return reply(400, { errorCode: 'BXNIM0415E', errorMessage: 'Provided API key could not be found.' });
      }
      const token = randomBytes(16).toString('hex');
      this.tokens.add(token);
      return reply(200, { access_token: token, refresh_token: 'not-supported', token_type: 'Bearer', expires_in: 3600, expiration: Math.floor(Date.now() / 1000) + 3600 });
    }
    const m = url.pathname.match(/^\/api\/v2\/keys\/([^/]+)\/actions\/(wrap|unwrap)$/);
    if (!m || req.method !== 'POST') return kpError(404, 'Not found');
    if (!bearer || !this.tokens.has(bearer)) return kpError(401, 'Unauthorized: The user does not have access to the specified resource');
    if (instance !== this.instanceId) return kpError(400, 'Bad Request: bluemix-instance header is missing or invalid');
    const id = decodeURIComponent(m[1] as string);
    const root = this.rootKeys.get(id);
    if (!root) return kpError(404, 'Not Found: Key does not exist');
    let o: { plaintext?: string; ciphertext?: string };
    try {
      o = JSON.parse(body) as typeof o;
    } catch {
      return kpError(400, 'Bad Request: invalid JSON');
    }
    if (m[2] === 'wrap') {
      if (typeof o.plaintext !== 'string') return kpError(400, 'Bad Request: plaintext missing');
      const iv = randomBytes(12);
      const c = createCipheriv('aes-256-gcm', root, iv);
      const ct = Buffer.concat([c.update(Buffer.from(o.plaintext, 'base64')), c.final(), c.getAuthTag()]);
      const ciphertext = Buffer.from(JSON.stringify({ ciphertext: ct.toString('base64'), iv: iv.toString('base64'), version: '4.0.0', handle: id })).toString('base64');
      return reply(200, { ciphertext, keyVersion: { id } });
    }
    try {
      const inner = JSON.parse(Buffer.from(o.ciphertext ?? '', 'base64').toString('utf8')) as { ciphertext: string; iv: string };
      const ct = Buffer.from(inner.ciphertext, 'base64');
      const d = createDecipheriv('aes-256-gcm', root, Buffer.from(inner.iv, 'base64'));
      d.setAuthTag(ct.subarray(ct.length - 16));
      const pt = Buffer.concat([d.update(ct.subarray(0, ct.length - 16)), d.final()]);
      return reply(200, { plaintext: pt.toString('base64'), keyVersion: { id } });
    } catch {
      return kpError(400, 'Bad Request: The provided ciphertext is invalid or corrupted');
    }
  }
}
