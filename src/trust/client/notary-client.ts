/**
 * The notary-server API (v0.7.0) for one trust server: metadata by role, by checksum and
 * by version, the server-managed keys, and publishing (multipart, one `files` part per
 * role). Everything returned is untrusted; tuf/ verifies it.
 */
import { randomBytes } from 'node:crypto';
import { ImgsealError } from '../../errors.js';
import type { NotaryHttp } from './notary-http.js';

/** Notary caps metadata downloads; the parent's length bounds each file when known. */
export const MAX_ROLE_BYTES = 16 << 20;
const MAX_KEY_BYTES = 64 << 10;

export interface RoleLocator {
  /** Fetch `<role>.<sha256 hex>.json` (what the parent metadata pins). */
  sha256Hex?: string;
  /** Fetch `<version>.<role>.json` (root rotation). */
  version?: number;
  /** Exact length expected, from the parent metadata. */
  length?: number;
}

export class NotaryClient {
  constructor(
    private readonly http: NotaryHttp,
    /** `host[:port]` of the server, for messages. */
    readonly serverHost: string,
  ) {}

  private base(gun: string): string {
    return `/v2/${gun.split('/').map(encodeURIComponent).join('/')}/_trust/tuf`;
  }

  async getRole(gun: string, role: string, at: RoleLocator = {}): Promise<Buffer | undefined> {
    const file = at.version !== undefined ? `${at.version}.${role}.json` : at.sha256Hex ? `${role}.${at.sha256Hex}.json` : `${role}.json`;
    const limit = at.length !== undefined ? Math.min(at.length, MAX_ROLE_BYTES) : MAX_ROLE_BYTES;
    return this.http.get(`${this.base(gun)}/${file}`, `reading ${file} of ${gun} from ${this.serverHost}`, limit);
  }

  /** The server-managed public key of `role` (created by notary-signer on first request). */
  async getServerKey(gun: string, role: 'timestamp' | 'snapshot'): Promise<{ keytype: string; keyval: { private: null; public: string } }> {
    const what = `reading the ${role} key of ${gun} from ${this.serverHost}`;
    const bytes = await this.http.get(`${this.base(gun)}/${role}.key`, what, MAX_KEY_BYTES);
    if (!bytes) throw new ImgsealError('TRUST_METADATA_INVALID', `${what}: the server has no ${role} key`);
    let k: { keytype?: unknown; keyval?: { public?: unknown } };
    try {
      k = JSON.parse(bytes.toString('utf8'));
    } catch {
      throw new ImgsealError('TRUST_METADATA_INVALID', `${what}: not JSON`);
    }
    if (typeof k?.keytype !== 'string' || typeof k.keyval?.public !== 'string') throw new ImgsealError('TRUST_METADATA_INVALID', `${what}: not a public key`);
    return { keytype: k.keytype, keyval: { private: null, public: k.keyval.public } };
  }

  /** Publishes changed roles at once (the server validates all or stores nothing). */
  async publish(gun: string, files: ReadonlyArray<readonly [role: string, bytes: Buffer]>): Promise<void> {
    const boundary = `imgseal${randomBytes(12).toString('hex')}`;
    const parts: Buffer[] = [];
    for (const [role, bytes] of files) {
      parts.push(Buffer.from(`--${boundary}\r\nContent-Disposition: form-data; name="files"; filename="${role}"\r\nContent-Type: application/octet-stream\r\n\r\n`), bytes, Buffer.from('\r\n'));
    }
    parts.push(Buffer.from(`--${boundary}--\r\n`));
    await this.http.post(`${this.base(gun)}/`, Buffer.concat(parts), `multipart/form-data; boundary=${boundary}`, `publishing trust data of ${gun} to ${this.serverHost}`);
  }

  close(): Promise<void> {
    return this.http.close();
  }
}
