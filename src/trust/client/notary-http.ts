/**
 * The raw HTTP layer a Notary client needs, as an interface so the domain client
 * (notary-client.ts) is independent of how requests are sent; open-notary.ts builds
 * it over the shared HTTP layer (TLS, token auth, retries).
 */
export interface NotaryHttp {
  /** GET a path under the server; undefined on 404. At most `limit` bytes. */
  get(path: string, what: string, limit: number): Promise<Buffer | undefined>;
  /** POST a body; fails (with the server's error text) unless 2xx. */
  post(path: string, body: Buffer, contentType: string, what: string): Promise<void>;
  close(): Promise<void>;
}
