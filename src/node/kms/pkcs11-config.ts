/**
 * The PKCS#11 KMS configuration (`--pkcs11-config FILE`), a JSON object like Key
 * Protect's config.json, parsed strictly (unknown fields and duplicate keys name the
 * field and the file):
 *
 *   {
 *     "module-path": "/usr/lib/softhsm/libsofthsm2.so",   // or "module-name": "softhsm2"
 *     "token-label": "node-kek",                          // or "slot-id": 0
 *     "key-label": "imgseal-kek",                         // and/or "key-id": "02" (hex CKA_ID)
 *     "pin-file": "/etc/imgseal/pin",                     // or "pin-env": "IMGSEAL_PKCS11_PIN"
 *     "module-env": { "SOFTHSM2_CONF": "/etc/softhsm2.conf" }
 *   }
 *
 * The PIN is never in the file: it is read from `pin-file` (one trailing newline
 * dropped) or the environment variable `pin-env` names, when the token is used. The
 * module must be on the allow-list of the PKCS#11 policy (OCICRYPT_CONFIG), as for
 * pkcs11 key files. Token and key names are what `wrap` uses; `unwrap` uses the token
 * and key the wrapped key names (module, PIN and module-env still come from here).
 */
import { readFile } from 'node:fs/promises';
import { isAbsolute } from 'node:path';
import { ImgsealError } from '../../errors.js';
import { parseStrictJsonObject } from './strict-json.js';

export interface Pkcs11KmsConfig {
  /** The file it came from, for messages. */
  file: string;
  module: { path: string } | { name: string };
  token?: { label: string } | { slotId: number };
  keyLabel?: string;
  /** Hex of CKA_ID (lower case). */
  keyId?: string;
  pin: { file: string } | { env: string };
  moduleEnv: Readonly<Record<string, string>>;
}

const FIELDS = ['module-path', 'module-name', 'token-label', 'slot-id', 'key-label', 'key-id', 'pin-file', 'pin-env', 'module-env'] as const;

function bad(where: string, message: string): ImgsealError {
  return new ImgsealError('KMS_ERROR', `${where}: ${message}`);
}

function oneOf(o: Record<string, unknown>, where: string, a: string, b: string, required: boolean): string | undefined {
  if (o[a] !== undefined && o[b] !== undefined) throw bad(where, `"${a}" and "${b}" exclude each other`);
  const k = o[a] !== undefined ? a : o[b] !== undefined ? b : undefined;
  if (k === undefined && required) throw bad(where, `"${a}" or "${b}" is required`);
  return k;
}

function str(o: Record<string, unknown>, k: string, where: string): string {
  const v = o[k];
  if (typeof v !== 'string' || v === '') throw bad(where, `"${k}" must be a non-empty string`);
  return v;
}

/** A hex key id (`02`, `0a1b`, optionally with colons `0a:1b`) → lower-case hex. */
export function normalizeKeyId(text: string, where: string): string {
  const hex = text.replace(/:/g, '').toLowerCase();
  if (!/^([0-9a-f]{2})+$/.test(hex)) throw bad(where, `key id ${JSON.stringify(text)} is not hex bytes (e.g. 02)`);
  return hex;
}

export function parsePkcs11KmsConfig(text: string, file: string): Pkcs11KmsConfig {
  const o = parseStrictJsonObject(text, file, FIELDS, 'KMS_ERROR');
  const moduleKey = oneOf(o, file, 'module-path', 'module-name', true) as string;
  const module: Pkcs11KmsConfig['module'] = moduleKey === 'module-path' ? { path: str(o, moduleKey, file) } : { name: str(o, moduleKey, file) };
  if ('path' in module && !isAbsolute(module.path)) throw bad(file, `"module-path" must be an absolute path`);
  let token: Pkcs11KmsConfig['token'];
  const tokenKey = oneOf(o, file, 'token-label', 'slot-id', false);
  if (tokenKey === 'token-label') token = { label: str(o, tokenKey, file) };
  if (tokenKey === 'slot-id') {
    const v = o['slot-id'];
    if (typeof v !== 'number' || !Number.isSafeInteger(v) || v < 0) throw bad(file, `"slot-id" must be a non-negative integer`);
    token = { slotId: v };
  }
  const pinKey = oneOf(o, file, 'pin-file', 'pin-env', true) as string;
  const pin: Pkcs11KmsConfig['pin'] = pinKey === 'pin-file' ? { file: str(o, pinKey, file) } : { env: str(o, pinKey, file) };
  if ('file' in pin && !isAbsolute(pin.file)) throw bad(file, `"pin-file" must be an absolute path`);
  if ('env' in pin && !/^[A-Za-z_][A-Za-z0-9_]*$/.test(pin.env)) throw bad(file, `"pin-env" must be an environment variable name`);
  const moduleEnv: Record<string, string> = {};
  if (o['module-env'] !== undefined) {
    const env = o['module-env'];
    if (typeof env !== 'object' || env === null || Array.isArray(env)) throw bad(file, `"module-env" must be an object of environment variables`);
    for (const [k, v] of Object.entries(env)) {
      if (!/^[A-Za-z_][A-Za-z0-9_]*$/.test(k)) throw bad(file, `module-env: ${JSON.stringify(k)} is not an environment variable name`);
      if (typeof v !== 'string') throw bad(file, `module-env.${k} must be a string`);
      moduleEnv[k] = v;
    }
  }
  return {
    file,
    module,
    ...(token ? { token } : {}),
    ...(o['key-label'] !== undefined ? { keyLabel: str(o, 'key-label', file) } : {}),
    ...(o['key-id'] !== undefined ? { keyId: normalizeKeyId(str(o, 'key-id', file), file) } : {}),
    pin,
    moduleEnv,
  };
}

export async function loadPkcs11KmsConfig(path: string): Promise<Pkcs11KmsConfig> {
  let text: string;
  try {
    text = await readFile(path, 'utf8');
  } catch (err) {
    throw new ImgsealError('KMS_ERROR', `cannot read PKCS#11 config ${path}: ${(err as NodeJS.ErrnoException).code ?? 'error'}`);
  }
  return parsePkcs11KmsConfig(text, path);
}
