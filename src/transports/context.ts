/**
 * SystemContext: everything a transport may need from outside, passed in rather
 * than read from globals, so tests can hand in real or local peers (an HTTP
 * dispatcher, credentials, certificate folders, a progress sink).
 */
import type { Platform } from '../model/platform.js';

export interface RegistryCredentials {
  username: string;
  password: string;
}

export interface SystemContext {
  /** The platform an index is resolved to when no platform is asked for. */
  platform?: Platform;
  /** Registry transport: explicit credentials (`--creds`), overriding auth files. */
  credentials?: RegistryCredentials;
  /** Registry transport: auth file (auth.json) to read and write. */
  authFile?: string;
  /** Registry transport: access anonymously; no credentials are looked up (`--no-creds`). */
  noCredentials?: boolean;
  /**
   * Registry transport: a bearer token used as is whenever the registry asks for one,
   * instead of fetching one (`--registry-token`, as skopeo).
   */
  registryToken?: string;
  /** Registry transport: folder with `*.crt` CAs and `*.cert`/`*.key` client certificates. */
  certDir?: string;
  /** Registry transport: false allows plain HTTP and unverified TLS (as skopeo's --tls-verify=false). */
  tlsVerify?: boolean;
  /** Registry transport: how often a failed request is retried. */
  retryTimes?: number;
  /** Registry transport: first retry backoff in ms, doubled per attempt (default 1000; tests use a few ms). */
  retryDelayMs?: number;
  /** Registry transport: an undici Dispatcher to use instead of one built from the above. */
  dispatcher?: unknown;
  /** Root for /etc/containers/certs.d and similar system paths (tests point it elsewhere). */
  systemRoot?: string;
  /** Environment to read REGISTRY_AUTH_FILE, DOCKER_CONFIG, XDG_RUNTIME_DIR, HOME from. */
  env?: Record<string, string | undefined>;
}
