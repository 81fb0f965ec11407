/**
 * auth.json / ~/.docker/config.json: where they are, reading entries, and the atomic
 * 0600 rewrite used by login/logout. The search order is containers/image's
 * (pkg/docker/config): a file the user named (HttpContext.authFile or
 * REGISTRY_AUTH_FILE) is the only one read; otherwise $XDG_RUNTIME_DIR/containers/auth.json,
 * $XDG_CONFIG_HOME (~/.config)/containers/auth.json, then $DOCKER_CONFIG/config.json
 * (~/.docker/config.json).
 */
import { mkdir, open, readFile, rename, rm } from 'node:fs/promises';
import { homedir } from 'node:os';
import { basename, dirname, join } from 'node:path';
import { ImgsealError } from '../errors.js';
import { quoted } from '../util/quote.js';
import { ownedName } from '../util/lock/index.js';
import type { HttpContext } from './context.js';

export type Env = Record<string, string | undefined>;

export interface AuthEntry {
  auth?: string;
  identitytoken?: string;
  username?: string;
  password?: string;
}

export interface AuthFileContents {
  auths?: Record<string, AuthEntry>;
  credHelpers?: Record<string, string>;
  credsStore?: string;
  [other: string]: unknown;
}

export function envOf(ctx: HttpContext): Env {
  return ctx.env ?? process.env;
}

function home(env: Env): string {
  return env.HOME || homedir();
}

/** Files to read credentials from, in order. */
export function authFilesToRead(ctx: HttpContext): string[] {
  const env = envOf(ctx);
  const named = ctx.authFile || env.REGISTRY_AUTH_FILE;
  if (named) return [named];
  const out: string[] = [];
  if (env.XDG_RUNTIME_DIR) out.push(join(env.XDG_RUNTIME_DIR, 'containers', 'auth.json'));
  out.push(join(env.XDG_CONFIG_HOME || join(home(env), '.config'), 'containers', 'auth.json'));
  out.push(join(env.DOCKER_CONFIG || join(home(env), '.docker'), 'config.json'));
  return out;
}

/** The file login/logout write: the named one, else the first auth.json location. */
export function authFileToWrite(ctx: HttpContext): string {
  const env = envOf(ctx);
  const named = ctx.authFile || env.REGISTRY_AUTH_FILE;
  if (named) return named;
  if (env.XDG_RUNTIME_DIR) return join(env.XDG_RUNTIME_DIR, 'containers', 'auth.json');
  return join(env.XDG_CONFIG_HOME || join(home(env), '.config'), 'containers', 'auth.json');
}

/** Reads an auth file; a missing file is empty, a malformed one an error naming it. */
export async function readAuthFile(path: string): Promise<AuthFileContents> {
  let text: string;
  try {
    text = await readFile(path, 'utf8');
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code === 'ENOENT') return {};
    throw new ImgsealError('IO_ERROR', `reading auth file ${path}: ${(err as Error).message}`, { cause: err });
  }
  return parseAuthFileText(text, path);
}

/**
 * Parses the text of an auth file. Fields other tools keep there (HttpHeaders,
 * psFormat, …) are carried through; the ones we read must have the types docker and
 * containers/image give them, so that a broken file is one line naming it.
 */
export function parseAuthFileText(text: string, path: string): AuthFileContents {
  if (text.trim() === '') return {};
  let doc: unknown;
  try {
    doc = JSON.parse(text);
  } catch (err) {
    throw new ImgsealError('INVALID_ARGUMENT', `auth file ${path} is not valid JSON: ${(err as Error).message}`, { cause: err });
  }
  const bad = (what: string): ImgsealError => new ImgsealError('INVALID_ARGUMENT', `auth file ${path}: ${what}`);
  if (!isObject(doc)) throw bad('expected a JSON object');
  const c = doc as AuthFileContents;
  if (c.auths !== undefined && c.auths !== null) {
    if (!isObject(c.auths)) throw bad('"auths" is not an object');
    for (const [key, entry] of Object.entries(c.auths)) {
      if (!isObject(entry)) throw bad(`entry ${quoted(key)} is not an object`);
      for (const f of ['auth', 'identitytoken', 'username', 'password'] as const) {
        if (entry[f] !== undefined && entry[f] !== null && typeof entry[f] !== 'string') throw bad(`entry ${quoted(key)}: "${f}" is not a string`);
      }
    }
  }
  if (c.credHelpers !== undefined && c.credHelpers !== null) {
    if (!isObject(c.credHelpers) || !Object.values(c.credHelpers).every((h) => typeof h === 'string')) throw bad('"credHelpers" is not an object of helper names');
  }
  if (c.credsStore !== undefined && c.credsStore !== null && typeof c.credsStore !== 'string') throw bad('"credsStore" is not a string');
  return c;
}

function isObject(v: unknown): v is Record<string, unknown> {
  return typeof v === 'object' && v !== null && !Array.isArray(v);
}

/**
 * Normalises an auths key: `https://index.docker.io/v1/` → `docker.io`, `http(s)://host/…`
 * → `host`; namespaced keys (`host/ns/repo`) are kept.
 */
export function normalizeAuthKey(key: string): string {
  let k = key;
  const schemed = /^https?:\/\//.test(k);
  if (schemed) k = k.replace(/^https?:\/\//, '').split('/')[0] ?? '';
  const [host, ...rest] = k.split('/');
  const h = host === 'index.docker.io' || host === 'registry-1.docker.io' ? 'docker.io' : (host ?? '');
  return [h, ...rest].join('/');
}

/** Keys that may hold credentials for `domain/repository`, most specific first. */
export function candidateKeys(domain: string, repository: string): string[] {
  const parts = repository.split('/');
  const out: string[] = [];
  for (let n = parts.length; n > 0; n--) out.push(`${domain}/${parts.slice(0, n).join('/')}`);
  out.push(domain);
  return out;
}

/** Finds the auths entry for the most specific matching key. */
export function findAuthEntry(c: AuthFileContents, keys: string[]): { key: string; entry: AuthEntry } | undefined {
  const byNorm = new Map<string, { key: string; entry: AuthEntry }>();
  for (const [k, entry] of Object.entries(c.auths ?? {})) {
    const n = normalizeAuthKey(k);
    if (!byNorm.has(n)) byNorm.set(n, { key: k, entry });
  }
  for (const k of keys) {
    const hit = byNorm.get(k);
    if (hit) return hit;
  }
  return undefined;
}

/** The temporary names writeAuthFile uses beside `path` (owner-named: a killed writer's are removed later). */
export function authTempPrefix(path: string): string {
  return `.${basename(path)}.`;
}

/** Writes `c` to `path` atomically (temp file in the same folder, then rename), mode 0600. */
export async function writeAuthFile(path: string, c: AuthFileContents): Promise<void> {
  await mkdir(dirname(path), { recursive: true, mode: 0o700 });
  const tmp = join(dirname(path), ownedName(authTempPrefix(path), '.tmp'));
  const fh = await open(tmp, 'wx', 0o600);
  try {
    await fh.writeFile(JSON.stringify(c, null, '\t') + '\n');
    await fh.sync();
  } finally {
    await fh.close();
  }
  try {
    await rename(tmp, path);
  } catch (err) {
    await rm(tmp, { force: true });
    throw new ImgsealError('IO_ERROR', `writing auth file ${path}: ${(err as Error).message}`, { cause: err });
  }
}
