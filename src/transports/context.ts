/**
 * SystemContext: everything a transport may need from outside, passed in rather
 * than read from globals, so tests can hand in real or local peers (an HTTP
 * dispatcher, credentials, certificate folders, a progress sink).
 */
import type { HttpContext, HttpCredentials } from '../http/context.js';
import type { Platform } from '../model/platform.js';

/** Registry credentials (`--creds`). */
export type RegistryCredentials = HttpCredentials;

/**
 * The HTTP fields (credentials, TLS, retries, dispatcher, clock, sleep) are the shared
 * HTTP layer's (src/http/context.ts); the registry transport and every other HTTP
 * client read them from here.
 */
export interface SystemContext extends HttpContext {
  /** The platform an index is resolved to when no platform is asked for. */
  platform?: Platform;
  /** Stops long work while a source or destination opens (e.g. indexing an archive). */
  signal?: AbortSignal;
  /** registries.d folder (`--registries.d`); default ~/.config/containers/registries.d, else /etc/containers/registries.d. */
  registriesDir?: string;
}
