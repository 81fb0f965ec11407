/**
 * The one HTTP layer every network client uses (the registry transport, lookaside
 * signature stores, Notary, KMS): undici dispatcher with TLS from certs.d, retries
 * with backoff, auth challenges and bearer tokens, credentials from auth files and
 * helpers, bounded bodies, and HTTP/socket failures as one clear ImgsealError line.
 * The clock and the sleep between retries come from HttpContext.
 */
export type { HttpContext, HttpCredentials } from './context.js';
export { HttpClient, USER_AGENT, type HttpClientOptions, type RequestSpec } from './client.js';
export { Authorizer, type AuthorizerOptions } from './authorizer.js';
export { parseChallenges, type Challenge } from './challenge.js';
export { resolveCredentials, credentialFromEntry, credentialFromHelper, type Credential } from './credentials.js';
export {
  authFilesToRead,
  authFileToWrite,
  authTempPrefix,
  candidateKeys,
  envOf,
  findAuthEntry,
  normalizeAuthKey,
  readAuthFile,
  writeAuthFile,
  type AuthEntry,
  type AuthFileContents,
  type Env,
} from './auth-file.js';
export { codeForStatus, describeErrorBody, httpError, isTlsError, isTransientNetworkError, networkError, parseErrorBody, TokenRefusedError } from './errors.js';
export { backoffDelay, defaultSleep, isRetryableStatus, retryOptions, DEFAULT_RETRY_TIMES, type RetryOptions } from './retry.js';
export { buildAgent, certDirFor, dispatcherFor, loadTlsMaterial, type TlsMaterial } from './tls.js';
export { agentClass, httpRequest, undiciLoadedFrom } from './undici.js';
export { discard, readLimited, readText } from './body.js';
