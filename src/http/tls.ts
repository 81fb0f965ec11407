/**
 * TLS settings for one registry host, as containers/image builds them
 * (pkg/tlsclientconfig + docker_client.go): the system CAs, plus every `*.crt` in the
 * host's certificate folder as extra CAs, plus `*.cert`/`*.key` pairs as client
 * certificates (mTLS). The folder is `--cert-dir` when given, else the first existing
 * of /etc/containers/certs.d/HOST[:PORT]/ and /etc/docker/certs.d/HOST[:PORT]/.
 */
import { readdir, readFile, stat } from 'node:fs/promises';
import { rootCertificates } from 'node:tls';
import { join } from 'node:path';
import type { Dispatcher } from 'undici';
import { agentClass } from './undici.js';
import { ImgsealError } from '../errors.js';
import { DEFAULT_TIMEOUT_MS, type HttpContext } from './context.js';

export interface TlsMaterial {
  /** Extra CAs (PEM); the system CAs are added when building the agent. */
  cas: string[];
  cert?: string;
  key?: string;
  /** The folder the material came from, for messages. */
  dir?: string;
}

async function isDir(p: string): Promise<boolean> {
  try {
    return (await stat(p)).isDirectory();
  } catch {
    return false;
  }
}

/** The certificate folder for `domain` (`host[:port]`), or undefined. */
export async function certDirFor(domain: string, ctx: HttpContext): Promise<string | undefined> {
  if (ctx.certDir) return ctx.certDir;
  const root = ctx.systemRoot ?? '/';
  for (const base of ['etc/containers/certs.d', 'etc/docker/certs.d']) {
    const dir = join(root, base, domain);
    if (await isDir(dir)) return dir;
  }
  return undefined;
}

/** Reads CAs and a client key pair from `dir` (a missing half of a pair is an error, as in c/image). */
export async function loadTlsMaterial(dir: string | undefined): Promise<TlsMaterial> {
  const m: TlsMaterial = { cas: [] };
  if (!dir) return m;
  m.dir = dir;
  let names: string[];
  try {
    names = (await readdir(dir)).sort();
  } catch (err) {
    throw new ImgsealError('TLS_ERROR', `reading certificate folder ${dir}: ${(err as Error).message}`, { cause: err });
  }
  for (const n of names) {
    if (n.endsWith('.crt')) m.cas.push(await readFile(join(dir, n), 'utf8'));
  }
  for (const n of names) {
    if (n.endsWith('.cert')) {
      const keyName = `${n.slice(0, -5)}.key`;
      if (!names.includes(keyName)) throw new ImgsealError('TLS_ERROR', `missing key ${keyName} for client certificate ${join(dir, n)}`);
      if (m.cert) continue; // one client identity per host, the first in name order
      m.cert = await readFile(join(dir, n), 'utf8');
      m.key = await readFile(join(dir, keyName), 'utf8');
    } else if (n.endsWith('.key')) {
      const certName = `${n.slice(0, -4)}.cert`;
      if (!names.includes(certName)) throw new ImgsealError('TLS_ERROR', `missing client certificate ${certName} for key ${join(dir, n)}`);
    }
  }
  return m;
}

/** An undici Agent with the host's TLS settings; `verify === false` skips verification. */
export function buildAgent(m: TlsMaterial, verify: boolean, timeoutMs = DEFAULT_TIMEOUT_MS): Dispatcher {
  const Agent = agentClass();
  return new Agent({
    headersTimeout: timeoutMs,
    bodyTimeout: timeoutMs,
    connect: {
      timeout: timeoutMs,
      // Passing `ca` replaces Node's default list, so the system roots go in too.
      ...(m.cas.length > 0 ? { ca: [...rootCertificates, ...m.cas] } : {}),
      ...(m.cert && m.key ? { cert: m.cert, key: m.key } : {}),
      rejectUnauthorized: verify,
    },
    keepAliveTimeout: 10_000,
    connections: 16,
  });
}

/** The dispatcher for `host` built from its certificate folder and ctx.tlsVerify. */
export async function dispatcherFor(host: string, ctx: HttpContext): Promise<Dispatcher> {
  return buildAgent(await loadTlsMaterial(await certDirFor(host, ctx)), ctx.tlsVerify !== false, ctx.timeoutMs);
}
