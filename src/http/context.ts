/**
 * What the HTTP layer needs from outside, handed in rather than read from globals:
 * credentials, TLS material, retry policy, an undici dispatcher, the clock and the
 * sleep used between retries. The transports' HttpContext extends this.
 */

export interface HttpCredentials {
  username: string;
  password: string;
}

export const DEFAULT_TIMEOUT_MS = 30_000;

export interface HttpContext {
  /** Explicit credentials (`--creds`), overriding auth files. */
  credentials?: HttpCredentials;
  /** Auth file (auth.json) to read and write. */
  authFile?: string;
  /** Access anonymously; no credentials are looked up (`--no-creds`). */
  noCredentials?: boolean;
  /**
   * A bearer token used as is whenever the server asks for one, instead of fetching one
   * (`--registry-token`, as skopeo).
   */
  registryToken?: string;
  /** Folder with `*.crt` CAs and `*.cert`/`*.key` client certificates. */
  certDir?: string;
  /** false allows plain HTTP and unverified TLS (as skopeo's --tls-verify=false). */
  tlsVerify?: boolean;
  /** How often a failed request is retried. */
  retryTimes?: number;
  /** First retry backoff in ms, doubled per attempt (default 1000; tests use a few ms). */
  retryDelayMs?: number;
  /** An undici Dispatcher to use instead of one built from the above. */
  dispatcher?: unknown;
  /** Root for /etc/containers/certs.d and similar system paths (tests point it elsewhere). */
  systemRoot?: string;
  /** Environment to read REGISTRY_AUTH_FILE, DOCKER_CONFIG, XDG_RUNTIME_DIR, HOME from. */
  env?: Record<string, string | undefined>;
  /** The clock (ms since the epoch) for token lifetimes and Retry-After dates; default Date.now. */
  now?: () => number;
  /**
   * How long to wait for a connection, and then for the answer's headers, per request
   * (default DEFAULT_TIMEOUT_MS, 30 s); the same bounds a stall in the body. A server
   * that does not answer in time fails with TIMEOUT, not retried: it is dead, not busy.
   */
  timeoutMs?: number;
  /** Aborts every request made under this context (a CLI's Ctrl-C), besides each request's own signal. */
  signal?: AbortSignal;
  /** How to wait between retries; default a timer that honours the abort signal. */
  sleep?: (ms: number, signal?: AbortSignal) => Promise<void>;
}
