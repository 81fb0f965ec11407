/**
 * Finding credentials for a registry: `--creds` first, then the auth files (see
 * auth-file.ts for the order), honouring `credHelpers` / `credsStore` through the
 * docker-credential-helper protocol (`docker-credential-NAME get`, server URL on stdin,
 * `{"ServerURL","Username","Secret"}` on stdout). Secrets are never put in messages.
 */
import { spawn } from 'node:child_process';
import { ImgsealError } from '../errors.js';
import { registerCredentials, registerSecret } from '../util/redact.js';
import type { HttpContext } from './context.js';
import { authFilesToRead, candidateKeys, envOf, findAuthEntry, readAuthFile, type AuthEntry, type Env } from './auth-file.js';

export type Credential =
  | { kind: 'basic'; username: string; password: string }
  /** An OAuth2 refresh token (docker's `identitytoken`, a helper's `<token>` user). */
  | { kind: 'identity-token'; token: string }
  /** A bearer token handed in as is (`--registry-token`): sent, never exchanged. */
  | { kind: 'registry-token'; token: string };

const HELPER_TIMEOUT_MS = 30_000;
const HELPER_OUTPUT_MAX = 1 << 20;

/** How users name Docker Hub; helpers know it by its legacy index URL. */
const DOCKER_HUB_DOMAIN = 'docker.io';

/** The server URL docker passes to helpers: Docker Hub's legacy index URL, else the host. */
function helperServerUrl(domain: string): string {
  return domain === DOCKER_HUB_DOMAIN ? 'https://index.docker.io/v1/' : domain;
}

/** Runs `docker-credential-NAME get`; undefined when the helper has no entry. */
export async function credentialFromHelper(name: string, domain: string, env: Env): Promise<Credential | undefined> {
  if (!/^[A-Za-z0-9._-]+$/.test(name)) throw new ImgsealError('INVALID_ARGUMENT', `invalid credential helper name "${name}"`);
  const prog = `docker-credential-${name}`;
  const { code, stdout, stderr } = await new Promise<{ code: number | null; stdout: string; stderr: string }>((resolve, reject) => {
    const child = spawn(prog, ['get'], { env: env as NodeJS.ProcessEnv, stdio: ['pipe', 'pipe', 'pipe'], timeout: HELPER_TIMEOUT_MS });
    let out = '';
    let err = '';
    child.stdout.setEncoding('utf8').on('data', (d: string) => {
      if (out.length < HELPER_OUTPUT_MAX) out += d;
    });
    child.stderr.setEncoding('utf8').on('data', (d: string) => {
      if (err.length < 4096) err += d;
    });
    child.on('error', (e) =>
      reject(new ImgsealError('UNAUTHORIZED', `credential helper ${prog}: ${(e as NodeJS.ErrnoException).code === 'ENOENT' ? 'not found in PATH' : e.message}`, { cause: e })),
    );
    child.on('close', (c) => resolve({ code: c, stdout: out, stderr: err }));
    child.stdin.on('error', () => undefined); // a helper that exits early closes its stdin
    child.stdin.end(helperServerUrl(domain));
  });
  if (code !== 0) {
    const text = (stdout + stderr).trim();
    if (/credentials not found/i.test(text)) return undefined;
    throw new ImgsealError('UNAUTHORIZED', `credential helper ${prog} failed for ${domain}: ${text.split('\n')[0] ?? `exit ${code}`}`);
  }
  let doc: { Username?: unknown; Secret?: unknown };
  try {
    doc = JSON.parse(stdout) as typeof doc;
  } catch {
    throw new ImgsealError('UNAUTHORIZED', `credential helper ${prog} printed something that is not JSON`);
  }
  if (typeof doc.Secret !== 'string' || doc.Secret === '') return undefined;
  if (doc.Username === '<token>') return { kind: 'identity-token', token: doc.Secret };
  return { kind: 'basic', username: typeof doc.Username === 'string' ? doc.Username : '', password: doc.Secret };
}

/** Decodes an auths entry (`auth` = base64 `user:pass`, or an identity token). */
export function credentialFromEntry(entry: AuthEntry, file: string, key: string): Credential | undefined {
  if (entry.identitytoken) return { kind: 'identity-token', token: entry.identitytoken };
  if (entry.auth) {
    const decoded = Buffer.from(entry.auth, 'base64').toString('utf8');
    const i = decoded.indexOf(':');
    if (i < 0) throw new ImgsealError('INVALID_ARGUMENT', `auth file ${file}: entry "${key}" has an invalid "auth" value (expected base64 of user:password)`);
    return { kind: 'basic', username: decoded.slice(0, i), password: decoded.slice(i + 1).replace(/\n$/, '') };
  }
  if (entry.username && entry.password) return { kind: 'basic', username: entry.username, password: entry.password };
  return undefined;
}

/**
 * Credentials for `domain/repository`, or undefined for anonymous access. What is found
 * is registered for redaction (util/redact.ts) before it can reach any message.
 */
export async function resolveCredentials(domain: string, repository: string, ctx: HttpContext): Promise<Credential | undefined> {
  const cred = await findCredentials(domain, repository, ctx);
  if (cred?.kind === 'basic') registerCredentials(cred.username, cred.password);
  else if (cred) registerSecret(cred.token);
  return cred;
}

async function findCredentials(domain: string, repository: string, ctx: HttpContext): Promise<Credential | undefined> {
  if (ctx.registryToken) return { kind: 'registry-token', token: ctx.registryToken };
  if (ctx.noCredentials) return undefined;
  if (ctx.credentials) return { kind: 'basic', ...ctx.credentials };
  const env = envOf(ctx);
  const keys = candidateKeys(domain, repository);
  for (const file of authFilesToRead(ctx)) {
    const c = await readAuthFile(file);
    const helper = c.credHelpers?.[domain];
    if (helper) {
      const cred = await credentialFromHelper(helper, domain, env);
      if (cred) return cred;
      continue;
    }
    const hit = findAuthEntry(c, keys);
    if (hit) {
      const cred = credentialFromEntry(hit.entry, file, hit.key);
      if (cred) return cred;
    }
    if (c.credsStore) {
      const cred = await credentialFromHelper(c.credsStore, domain, env);
      if (cred) return cred;
    }
  }
  return undefined;
}
