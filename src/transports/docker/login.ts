/**
 * Library side of `imgseal login` / `logout` (as `podman login`): check the credentials
 * against the registry's /v2/ first, then store them as base64 `user:password` under the
 * registry key in auth.json (see auth-file.ts for which file), atomically, mode 0600.
 */
import { ImgsealError } from '../../errors.js';
import { lockTempPrefixes, removeStaleLeftovers, withFileLock } from '../../util/lock/index.js';
import type { RegistryCredentials, SystemContext } from '../context.js';
import { mkdir, stat } from 'node:fs/promises';
import { dirname } from 'node:path';
import { authFileToWrite, findAuthEntry, normalizeAuthKey, authTempPrefix, readAuthFile, writeAuthFile, type AuthFileContents } from '../../http/index.js';
import { RegistryClient } from './client.js';
import { parseDockerName } from './reference.js';

/** `host[:port]` or `host[:port]/namespace/repo` → the auth.json key and the domain. */
export function loginKey(server: string): { key: string; domain: string } {
  const s = server.replace(/^https?:\/\//, '').replace(/\/+$/, '');
  if (s === '') throw new ImgsealError('INVALID_ARGUMENT', 'login: a registry is required');
  const key = normalizeAuthKey(s);
  const domain = key.split('/')[0] ?? '';
  // Reuse the reference grammar to validate the host (and path, when one is given).
  parseDockerName(key.includes('/') ? key : `${domain}/x`);
  return { key, domain };
}

export interface LoginResult {
  /** The auth file that was written. */
  authFile: string;
  /** The key the entry was stored under (`docker.io`, `host:port`, `host/ns/repo`). */
  key: string;
}

/** Verifies `creds` against `server` and saves them. Wrong credentials → UNAUTHORIZED, nothing written. */
export async function login(server: string, creds: RegistryCredentials, ctx: SystemContext = {}): Promise<LoginResult> {
  const { key, domain } = loginKey(server);
  if (creds.username === '' || creds.password === '') throw new ImgsealError('INVALID_ARGUMENT', 'login: username and password must not be empty');
  const repository = key.includes('/') ? key.slice(domain.length + 1) : 'library/x';
  const client = await RegistryClient.open({ ref: { domain, repository }, actions: ['pull'], ctx: { ...ctx, credentials: creds } });
  try {
    await client.checkAuth();
  } finally {
    await client.close();
  }
  const authFile = authFileToWrite(ctx);
  await updateAuthFile(authFile, (contents) => {
    const auths = { ...(contents.auths ?? {}) };
    // Drop other spellings of the same key (`https://host/v1/`) so the new entry is the one used.
    for (const k of Object.keys(auths)) if (normalizeAuthKey(k) === key) delete auths[k];
    auths[key] = { auth: Buffer.from(`${creds.username}:${creds.password}`).toString('base64') };
    return { ...contents, auths };
  }, { create: true });
  return { authFile, key };
}

/**
 * Read-modify-write of an auth file under its lock (`FILE.lock`), so that concurrent
 * logins to different registries all land. `edit` returns undefined to write nothing.
 */
async function updateAuthFile(authFile: string, edit: (c: AuthFileContents) => AuthFileContents | undefined, opts: { create: boolean }): Promise<void> {
  if (opts.create) await mkdir(dirname(authFile), { recursive: true, mode: 0o700 });
  else if (!(await stat(dirname(authFile)).catch(() => undefined))) return; // no folder, no file: nothing to change
  await withFileLock(
    `${authFile}.lock`,
    async () => {
      await removeStaleLeftovers(dirname(authFile), [authTempPrefix(authFile), ...lockTempPrefixes(`${authFile}.lock`)]);
      const next = edit(await readAuthFile(authFile));
      if (next) await writeAuthFile(authFile, next);
    },
    { what: `auth file ${authFile}` },
  );
}

/**
 * Removes the entry for `server` (or every entry with `all`). Returns whether something
 * was removed; a server with no entry is NOT an error here (the CLI decides how to say it).
 */
export async function logout(server: string | undefined, ctx: SystemContext = {}, opts: { all?: boolean } = {}): Promise<{ authFile: string; removed: boolean }> {
  const authFile = authFileToWrite(ctx);
  const key = opts.all ? undefined : loginKey(requireServer(server)).key;
  let removed = false;
  await updateAuthFile(authFile, (contents) => {
    const auths = { ...(contents.auths ?? {}) };
    removed = key === undefined ? removeAll(auths) : removeKey(auths, key);
    return removed ? { ...contents, auths } : undefined;
  }, { create: false });
  return { authFile, removed };
}

function requireServer(server: string | undefined): string {
  if (!server) throw new ImgsealError('INVALID_ARGUMENT', 'logout: a registry is required (or --all)');
  return server;
}

function removeAll(auths: Record<string, unknown>): boolean {
  const removed = Object.keys(auths).length > 0;
  for (const k of Object.keys(auths)) delete auths[k];
  return removed;
}

function removeKey(auths: NonNullable<AuthFileContents['auths']>, key: string): boolean {
  let removed = false;
  for (let hit = findAuthEntry({ auths }, [key]); hit; hit = findAuthEntry({ auths }, [key])) {
    delete auths[hit.key];
    removed = true;
  }
  return removed;
}
