/**
 * The key-provider configuration (spec §5.5, notes §5.3): the JSON file named by
 * OCICRYPT_KEYPROVIDER_CONFIG,
 *
 *   {"key-providers": {"NAME": {"cmd": {"path": "...", "args": [...]}}
 *                     | {"grpc": "host:port", "grpc-tls": {...}}}}
 *
 * Parsed strictly: unknown or duplicate fields, wrong types, a provider with
 * both or neither of cmd and grpc, and `path`/`args` directly under a provider
 * (ocicrypt's own documentation shows that; ocicrypt then silently ignores the
 * provider) are errors naming the field and the file. Unlike ocicrypt, a
 * variable naming a missing or broken file is an error, not "no providers".
 */
import { readFile } from 'node:fs/promises';
import { ImgsealError } from '../../../errors.js';
import { parseStrictJson, StrictJsonError } from '../../../util/strict-json.js';
import type { KeyProviderConfig } from '../types.js';

export const KEYPROVIDER_CONFIG_ENV = 'OCICRYPT_KEYPROVIDER_CONFIG';

export type { KeyProviderConfig } from '../types.js';

/** Provider name → how to reach it (SchemeConfig.keyProviders). */
export type KeyProviders = Readonly<Record<string, KeyProviderConfig>>;

/** Names become `...enc.keys.provider.NAME` and are split off `provider:NAME:PARAMS` at a colon. */
const PROVIDER_NAME = /^[A-Za-z0-9][A-Za-z0-9._-]*$/;

export function isValidProviderName(name: string): boolean {
  return PROVIDER_NAME.test(name);
}

function bad(file: string, message: string): ImgsealError {
  return new ImgsealError('INVALID_CONFIG', `${file}: ${message}`);
}

type Obj = Record<string, unknown>;

function isObject(v: unknown): v is Obj {
  return typeof v === 'object' && v !== null && !Array.isArray(v);
}

function only(o: Obj, allowed: readonly string[], where: string, file: string, hint?: (k: string) => string | undefined): void {
  for (const k of Object.keys(o)) {
    if (!allowed.includes(k)) {
      const extra = hint?.(k);
      throw bad(file, `unknown field "${where}${k}"${extra ? ` (${extra})` : ''}; allowed: ${allowed.join(', ')}`);
    }
  }
}

function str(o: Obj, k: string, where: string, file: string, required: boolean): string | undefined {
  const v = o[k];
  if (v === undefined) {
    if (required) throw bad(file, `missing field "${where}${k}"`);
    return undefined;
  }
  if (typeof v !== 'string' || v === '') throw bad(file, `field "${where}${k}" must be a non-empty string`);
  return v;
}

/** Parses the configuration text; `file` names it in every error. */
export function parseKeyProviderConfig(text: string, file: string): KeyProviders {
  let doc: unknown;
  try {
    doc = parseStrictJson(text);
  } catch (err) {
    if (err instanceof StrictJsonError) throw bad(file, `invalid JSON: ${err.message}`);
    throw err;
  }
  if (!isObject(doc)) throw bad(file, 'must be a JSON object with "key-providers"');
  only(doc, ['key-providers'], '', file);
  const list = doc['key-providers'];
  if (list === undefined) throw bad(file, 'missing field "key-providers"');
  if (!isObject(list)) throw bad(file, 'field "key-providers" must be an object of NAME: {cmd|grpc}');
  const providers: Record<string, KeyProviderConfig> = {};
  for (const [name, entry] of Object.entries(list)) {
    const where = `key-providers.${name}.`;
    if (!isValidProviderName(name)) {
      throw bad(file, `provider name "${name}" is not allowed (letters, digits, ".", "_", "-"; starting with a letter or digit)`);
    }
    if (!isObject(entry)) throw bad(file, `field "key-providers.${name}" must be an object with "cmd" or "grpc"`);
    only(entry, ['cmd', 'grpc', 'grpc-tls'], where, file, (k) =>
      k === 'path' || k === 'args' ? `put it inside "cmd": {"path": …, "args": […]}; ocicrypt ignores a provider written this way` : undefined,
    );
    const hasCmd = entry.cmd !== undefined;
    const hasGrpc = entry.grpc !== undefined;
    if (hasCmd && hasGrpc) throw bad(file, `provider "${name}" has both "cmd" and "grpc"; give one`);
    if (!hasCmd && !hasGrpc) throw bad(file, `provider "${name}" needs "cmd" or "grpc"`);
    if (hasCmd) {
      if (entry['grpc-tls'] !== undefined) throw bad(file, `field "${where}grpc-tls" only applies to "grpc" providers`);
      const cmd = entry.cmd;
      if (!isObject(cmd)) throw bad(file, `field "${where}cmd" must be an object {"path": …, "args": […]}`);
      only(cmd, ['path', 'args'], `${where}cmd.`, file);
      const path = str(cmd, 'path', `${where}cmd.`, file, true) as string;
      const args = cmd.args ?? [];
      if (!Array.isArray(args) || !args.every((a) => typeof a === 'string')) throw bad(file, `field "${where}cmd.args" must be an array of strings`);
      providers[name] = { cmd: { path, args: args as string[] } };
    } else {
      const address = str(entry, 'grpc', where, file, true) as string;
      const tlsDoc = entry['grpc-tls'];
      let tls: NonNullable<KeyProviderConfig['grpcTls']> | undefined;
      if (tlsDoc !== undefined) {
        if (!isObject(tlsDoc)) throw bad(file, `field "${where}grpc-tls" must be an object`);
        const tw = `${where}grpc-tls.`;
        only(tlsDoc, ['root-ca-file', 'cert-file', 'key-file', 'server-name', 'insecure-skip-verify'], tw, file);
        const skip = tlsDoc['insecure-skip-verify'];
        if (skip !== undefined && typeof skip !== 'boolean') throw bad(file, `field "${tw}insecure-skip-verify" must be true or false`);
        const rootCaFile = str(tlsDoc, 'root-ca-file', tw, file, false);
        const certFile = str(tlsDoc, 'cert-file', tw, file, false);
        const keyFile = str(tlsDoc, 'key-file', tw, file, false);
        const serverName = str(tlsDoc, 'server-name', tw, file, false);
        if ((certFile === undefined) !== (keyFile === undefined)) throw bad(file, `"${tw}cert-file" and "${tw}key-file" go together`);
        tls = {
          ...(rootCaFile !== undefined ? { rootCaFile } : {}),
          ...(certFile !== undefined ? { certFile } : {}),
          ...(keyFile !== undefined ? { keyFile } : {}),
          ...(serverName !== undefined ? { serverName } : {}),
          ...(skip !== undefined ? { insecureSkipVerify: skip } : {}),
        };
      }
      providers[name] = tls ? { grpc: address, grpcTls: tls } : { grpc: address };
    }
  }
  return providers;
}

/**
 * Reads the file named by OCICRYPT_KEYPROVIDER_CONFIG in `env` (at the edge:
 * the CLI passes process.env); unset or empty → undefined (no providers).
 */
export async function loadKeyProviderConfig(env: Readonly<Record<string, string | undefined>>): Promise<KeyProviders | undefined> {
  const file = env[KEYPROVIDER_CONFIG_ENV];
  if (!file) return undefined;
  let text: string;
  try {
    text = await readFile(file, 'utf8');
  } catch (err) {
    const code = (err as NodeJS.ErrnoException).code;
    const why = code === 'ENOENT' ? 'no such file' : code === 'EACCES' ? 'permission denied' : (code ?? 'read error');
    throw new ImgsealError('INVALID_CONFIG', `${KEYPROVIDER_CONFIG_ENV}=${file}: cannot read the key-provider config: ${why}`, { cause: err });
  }
  return parseKeyProviderConfig(text, file);
}
