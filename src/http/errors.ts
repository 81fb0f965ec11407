/**
 * Turning registry answers and socket failures into one clear ImgsealError line.
 * Registries answer errors as `{"errors":[{"code","message","detail"}]}` (the
 * distribution spec); we show `code: message` of each, never the raw body or headers
 * (a body could echo an Authorization header back).
 */
import { ImgsealError, type ErrorCode } from '../errors.js';
import { redact } from '../util/redact.js';
import { DEFAULT_TIMEOUT_MS } from './context.js';

/**
 * A 401 to a request that carried a bearer token issued for the caller's credentials:
 * the credentials were accepted by the token server, but the token it gave does not
 * grant `scopes` (e.g. a user who may pull but not push). Code UNAUTHORIZED, as any 401.
 */
export class TokenRefusedError extends ImgsealError {
  constructor(message: string, readonly scopes: readonly string[]) {
    super('UNAUTHORIZED', message);
  }
}

interface RegistryErrorEntry {
  code?: string;
  message?: string;
}

/** Parses a distribution error body; undefined when it is not one. */
export function parseErrorBody(body: string): RegistryErrorEntry[] | undefined {
  try {
    const doc = JSON.parse(body) as { errors?: unknown };
    if (!Array.isArray(doc.errors)) return undefined;
    return doc.errors.filter((e): e is RegistryErrorEntry => typeof e === 'object' && e !== null);
  } catch {
    return undefined;
  }
}

/**
 * `manifest unknown: manifest unknown; …`, or the status text when the body says nothing.
 * Remote text: every secret the process holds is redacted from it.
 */
export function describeErrorBody(status: number, body: string): string {
  return redact(describeUnredacted(status, body));
}

function describeUnredacted(status: number, body: string): string {
  const entries = parseErrorBody(body);
  if (entries && entries.length > 0) {
    return entries
      .map((e) => {
        const code = (e.code ?? 'UNKNOWN').toLowerCase().replace(/_/g, ' ');
        return e.message && e.message.toLowerCase() !== code ? `${code}: ${e.message}` : code;
      })
      .join('; ');
  }
  const text = body.trim().split('\n')[0]?.slice(0, 200) ?? '';
  return text ? `HTTP ${status}: ${text}` : `HTTP ${status}`;
}

/** The ImgsealError code for an HTTP status and the registry's own error codes. */
export function codeForStatus(status: number, body: string): ErrorCode {
  const codes = (parseErrorBody(body) ?? []).map((e) => e.code ?? '');
  if (codes.includes('BLOB_UNKNOWN')) return 'BLOB_NOT_FOUND';
  if (codes.includes('MANIFEST_UNKNOWN') || codes.includes('NAME_UNKNOWN')) return 'IMAGE_NOT_FOUND';
  if (codes.includes('DIGEST_INVALID')) return 'DIGEST_MISMATCH';
  if (codes.includes('DENIED')) return 'DENIED';
  if (codes.includes('UNAUTHORIZED')) return 'UNAUTHORIZED';
  if (codes.includes('TOOMANYREQUESTS')) return 'TOO_MANY_REQUESTS';
  switch (status) {
    case 401:
      return 'UNAUTHORIZED';
    case 403:
      return 'DENIED';
    case 404:
      return 'IMAGE_NOT_FOUND';
    case 429:
      return 'TOO_MANY_REQUESTS';
    default:
      return 'REGISTRY_ERROR';
  }
}

export function httpError(what: string, status: number, body: string): ImgsealError {
  return new ImgsealError(codeForStatus(status, body), `${what}: ${describeErrorBody(status, body)}`);
}

const TLS_CODES = new Set([
  'UNABLE_TO_VERIFY_LEAF_SIGNATURE',
  'UNABLE_TO_GET_ISSUER_CERT',
  'UNABLE_TO_GET_ISSUER_CERT_LOCALLY',
  'SELF_SIGNED_CERT_IN_CHAIN',
  'DEPTH_ZERO_SELF_SIGNED_CERT',
  'CERT_HAS_EXPIRED',
  'CERT_NOT_YET_VALID',
  'ERR_TLS_CERT_ALTNAME_INVALID',
  'CERT_UNTRUSTED',
  'ERR_SSL_WRONG_VERSION_NUMBER',
  'ERR_SSL_TLSV13_ALERT_CERTIFICATE_REQUIRED',
  'ERR_SSL_SSLV3_ALERT_BAD_CERTIFICATE',
]);

/** Socket-level failures that a retry may cure (the request may not have reached the server). */
const TRANSIENT_CODES = new Set([
  'ECONNRESET',
  'EPIPE',
  'ETIMEDOUT',
  'UND_ERR_SOCKET',
  'UND_ERR_CLOSED',
  // Not UND_ERR_CONNECT_TIMEOUT / UND_ERR_HEADERS_TIMEOUT: a server that did not connect or
  // answer within the timeout is taken as dead; retrying would multiply the wait.
  'UND_ERR_BODY_TIMEOUT',
  'UND_ERR_REQ_CONTENT_LENGTH_MISMATCH',
  'UND_ERR_RES_CONTENT_LENGTH_MISMATCH',
  'ERR_STREAM_PREMATURE_CLOSE',
]);

function errorCodeOf(err: unknown): string | undefined {
  // undici wraps the socket error; the useful code may be on the cause.
  for (let e = err, i = 0; e && typeof e === 'object' && i < 4; e = (e as { cause?: unknown }).cause, i++) {
    const code = (e as { code?: unknown }).code;
    if (typeof code === 'string' && code !== 'UND_ERR_SOCKET' && code !== 'UND_ERR_CONNECT') return code;
  }
  const top = (err as { code?: unknown } | undefined)?.code;
  return typeof top === 'string' ? top : undefined;
}

export function isTransientNetworkError(err: unknown): boolean {
  if (err instanceof ImgsealError) return false;
  const code = errorCodeOf(err);
  return code !== undefined && TRANSIENT_CODES.has(code);
}

export function isTlsError(err: unknown): boolean {
  const code = errorCodeOf(err);
  if (code !== undefined && (TLS_CODES.has(code) || code.startsWith('ERR_SSL_') || code.startsWith('ERR_TLS_'))) return true;
  const msg = err instanceof Error ? err.message : '';
  return /wrong version number|certificate|ssl3_get_record|tlsv1 alert/i.test(msg);
}

/** A response that was not valid HTTP: headers too large for us, or bytes the parser refused. */
function malformedResponseCode(err: unknown): string | undefined {
  const code = errorCodeOf(err);
  if (code !== undefined && (code === 'UND_ERR_HEADERS_OVERFLOW' || code.startsWith('HPE_'))) return code;
  // undici's HTTPParserError often carries no code.
  for (let e = err, i = 0; e instanceof Error && i < 4; e = e.cause, i++) {
    if (e.name === 'HTTPParserError' || /does not match the HTTP\/1\.1 protocol/.test(e.message)) return 'HTTPParserError';
  }
  return undefined;
}

/**
 * One line for a failed connection to `url`, with the code NETWORK_ERROR, TLS_ERROR or
 * TIMEOUT; a response that is not valid HTTP is a REGISTRY_ERROR saying so (not a
 * connection failure, so the ping does not go on to blame the TLS handshake).
 */
export function networkError(what: string, host: string, err: unknown, timeoutMs = DEFAULT_TIMEOUT_MS): ImgsealError {
  if (err instanceof ImgsealError) return err;
  const code = errorCodeOf(err);
  const msg = err instanceof Error ? err.message : String(err);
  const secs = `${Math.round(timeoutMs / 100) / 10} s`;
  if (code === 'UND_ERR_CONNECT_TIMEOUT') return new ImgsealError('TIMEOUT', `${what}: dial tcp ${host}: no connection within ${secs} (--registry-timeout)`, { cause: err });
  if (code === 'UND_ERR_HEADERS_TIMEOUT') return new ImgsealError('TIMEOUT', `${what}: ${host} did not answer within ${secs} (--registry-timeout)`, { cause: err });
  const malformed = malformedResponseCode(err);
  if (malformed === 'UND_ERR_HEADERS_OVERFLOW') {
    return new ImgsealError('REGISTRY_ERROR', `${what}: ${host} sent response headers too large to accept (more than 16 KiB; e.g. an oversized WWW-Authenticate)`, { cause: err });
  }
  if (malformed) return new ImgsealError('REGISTRY_ERROR', `${what}: ${host} sent a malformed HTTP response (${malformed}: ${redact(msg).slice(0, 120)})`, { cause: err });
  if (code === 'UND_ERR_BODY_TIMEOUT') return new ImgsealError('TIMEOUT', `${what}: ${host} stopped sending for ${secs} (--registry-timeout)`, { cause: err });
  if (isTlsError(err)) {
    let why = msg;
    if (code === 'UNABLE_TO_VERIFY_LEAF_SIGNATURE' || code === 'SELF_SIGNED_CERT_IN_CHAIN' || code === 'DEPTH_ZERO_SELF_SIGNED_CERT' || code === 'UNABLE_TO_GET_ISSUER_CERT_LOCALLY') {
      why = `x509: certificate signed by unknown authority (${code}); add its CA with --cert-dir or /etc/containers/certs.d/${host}/, or use --tls-verify=false`;
    } else if (/wrong version number/i.test(msg) || code === 'ERR_SSL_WRONG_VERSION_NUMBER') {
      why = 'http: server gave HTTP response to HTTPS client (use --tls-verify=false for a plain-HTTP registry)';
    } else if (code === 'ERR_TLS_CERT_ALTNAME_INVALID') {
      why = `x509: certificate is not valid for ${host}`;
    }
    return new ImgsealError('TLS_ERROR', `${what}: ${why}`, { cause: err });
  }
  let why = msg || code || 'network error';
  if (code === 'ENOTFOUND' || code === 'EAI_AGAIN') why = `lookup ${host.replace(/:\d+$/, '')}: no such host`;
  else if (code === 'ECONNREFUSED') why = `dial tcp ${host}: connect: connection refused`;
  else if (code === 'ECONNRESET') why = `connection reset by peer (${host})`;
  else if (code === 'ETIMEDOUT') why = `dial tcp ${host}: i/o timeout`;
  return new ImgsealError('NETWORK_ERROR', `${what}: ${why}`, { cause: err });
}
