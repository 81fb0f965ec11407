/**
 * Which PKCS#11 modules may be loaded: ocicrypt's config (config/pkcs11config),
 * a YAML file with a top-level `pkcs11:` map:
 *
 *   pkcs11:
 *     module-directories: [/usr/lib/softhsm/]     # where module-name is searched
 *     allowed-module-paths: [/usr/lib/softhsm/libsofthsm2.so, /usr/lib/pkcs11/]
 *
 * Found as ocicrypt does: `$OCICRYPT_CONFIG` (the value `internal` = the built-in
 * list of distribution directories, each allowed), then
 * `$XDG_CONFIG_HOME/ocicrypt.conf`, then `$HOME/.config/ocicrypt.conf`.
 * Differences, on purpose: ocicrypt also reads `etc/ocicrypt.conf` relative to the
 * current directory (we do not: which module runs must not depend on the working
 * directory); a missing `$OCICRYPT_CONFIG` file is an error, not a silent fall-back;
 * and an empty `allowed-module-paths` allows nothing (ocicrypt allows every module).
 */
import { readFileSync, statSync, readdirSync } from 'node:fs';
import { arch } from 'node:os';
import { join } from 'node:path';
import { ImgsealError } from '../../../errors.js';
import type { Pkcs11Uri } from './uri.js';
import { YamlFile } from './yaml-file.js';

export interface Pkcs11Policy {
  /** Where it came from (a file, or `internal`), for messages. */
  source: string;
  moduleDirectories: readonly string[];
  allowedModulePaths: readonly string[];
}

function policyError(message: string): ImgsealError {
  return new ImgsealError('PKCS11_MODULE_NOT_ALLOWED', message);
}

const DEBIAN_ARCH: Record<string, string> = { x64: 'x86_64', arm64: 'aarch64', arm: 'arm', ppc64: 'powerpc64le', s390x: 's390x' };

/** ocicrypt's GetDefaultModuleDirectories. */
export function defaultModuleDirectories(): string[] {
  const dirs = ['/usr/lib64/pkcs11/', '/usr/lib/pkcs11/', '/usr/local/lib/pkcs11/', '/usr/lib/softhsm/'];
  const host = DEBIAN_ARCH[arch()];
  if (host) dirs.push(`/usr/lib/${host}-linux-${host === 'arm' ? 'gnueabihf' : 'gnu'}/`);
  return dirs;
}

export function parsePkcs11Policy(text: string, file: string): Pkcs11Policy {
  const y = new YamlFile(file, 'INVALID_ARGUMENT');
  const doc = y.parse(text);
  y.only(doc, ['pkcs11'], '');
  if (doc.pkcs11 === undefined || doc.pkcs11 === null) y.fail('missing the top-level pkcs11: map (module-directories, allowed-module-paths)');
  const p11 = y.map(doc.pkcs11, 'pkcs11');
  y.only(p11, ['module-directories', 'allowed-module-paths'], 'pkcs11.');
  return {
    source: file,
    moduleDirectories: y.strings(p11['module-directories'], 'pkcs11.module-directories'),
    allowedModulePaths: y.strings(p11['allowed-module-paths'], 'pkcs11.allowed-module-paths'),
  };
}

function readIfExists(file: string): string | undefined {
  try {
    return readFileSync(file, 'utf8');
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code === 'ENOENT') return undefined;
    throw new ImgsealError('IO_ERROR', `${file}: ${(err as NodeJS.ErrnoException).code ?? 'read error'}`, { cause: err });
  }
}

/** The policy from the environment (injected, never process.env read here), or an error saying how to make one. */
export function loadPkcs11Policy(env: Readonly<Record<string, string | undefined>>): Pkcs11Policy {
  const named = env.OCICRYPT_CONFIG;
  if (named === 'internal') {
    const dirs = defaultModuleDirectories();
    return { source: 'OCICRYPT_CONFIG=internal', moduleDirectories: dirs, allowedModulePaths: dirs };
  }
  if (named) {
    const text = readIfExists(named);
    if (text === undefined) throw policyError(`OCICRYPT_CONFIG names ${named}, which does not exist`);
    return parsePkcs11Policy(text, named);
  }
  const candidates = [env.XDG_CONFIG_HOME && join(env.XDG_CONFIG_HOME, 'ocicrypt.conf'), env.HOME && join(env.HOME, '.config', 'ocicrypt.conf')];
  for (const file of candidates) {
    if (!file) continue;
    const text = readIfExists(file);
    if (text !== undefined) return parsePkcs11Policy(text, file);
  }
  throw policyError('No ocicrypt config file was found: set OCICRYPT_CONFIG to a YAML file with pkcs11: {module-directories, allowed-module-paths} (or to "internal" for the distribution directories)');
}

/** go-pkcs11uri's isAllowedPath, except that an empty list allows nothing. */
export function isAllowedModule(policy: Pkcs11Policy, path: string): boolean {
  return policy.allowedModulePaths.some((allowed) => {
    if (allowed === path) return true;
    return allowed.endsWith('/') && path.startsWith(allowed) && !path.slice(allowed.length).includes('/');
  });
}

function isFile(p: string): 'file' | 'dir' | undefined {
  try {
    const s = statSync(p);
    return s.isFile() ? 'file' : s.isDirectory() ? 'dir' : undefined;
  } catch {
    return undefined;
  }
}

/**
 * The module file for a URI (go-pkcs11uri's GetModule): `module-path` when it is
 * an allowed file; else `module-name` (case-insensitive, `softhsm2` matches
 * `libsofthsm2.so` but not `libsofthsm2x.so`) searched in `module-path` (a
 * directory) or the policy's module-directories.
 */
export function resolveModule(uri: Pkcs11Uri, policy: Pkcs11Policy): string {
  const modulePath = uri.query.get('module-path');
  let dirs: readonly string[] = policy.moduleDirectories;
  if (modulePath !== undefined) {
    const kind = isFile(modulePath);
    if (kind === undefined) throw policyError(`pkcs11: module-path '${modulePath}' is not accessible`);
    if (kind === 'file') {
      if (!isAllowedModule(policy, modulePath)) throw policyError(`pkcs11: module-path '${modulePath}' is not allowed by policy (${policy.source}: allowed-module-paths)`);
      return modulePath;
    }
    dirs = [modulePath];
  }
  const name = uri.query.get('module-name')?.toLowerCase();
  if (name === undefined) throw policyError(`pkcs11: ${uri.redacted} names no module (module-path or module-name)`);
  const refused: string[] = [];
  for (const dir of dirs) {
    let files: string[];
    try {
      files = readdirSync(dir);
    } catch {
      continue;
    }
    for (const f of files.sort()) {
      const lower = f.toLowerCase();
      const i = lower.indexOf(name);
      if (i < 0 || !(lower.length === i + name.length || lower[i + name.length] === '.')) continue;
      const full = join(dir, f);
      if (isAllowedModule(policy, full)) return full;
      refused.push(full);
    }
  }
  if (refused.length > 0) throw policyError(`pkcs11: module ${refused[0]} is not allowed by policy (${policy.source}: allowed-module-paths)`);
  throw policyError(`pkcs11: no module named '${name}' in ${dirs.join(', ') || '(no module-directories)'}`);
}
