/**
 * PKCS#11 URIs (RFC 7512) as ocicrypt reads them (stefanberger/go-pkcs11uri):
 * `pkcs11:token=…;object=…;id=%01;type=private?module-name=softhsm2&pin-value=1234`.
 * Path attributes are `;`-separated, query attributes `&`-separated, values are
 * percent-decoded, a repeated attribute is an error. The PIN is kept out of
 * every string this module produces (`redactedUri`).
 */
import { readFileSync } from 'node:fs';
import { isAbsolute } from 'node:path';
import { ImgsealError } from '../../../errors.js';

export interface Pkcs11Uri {
  path: ReadonlyMap<string, string>;
  query: ReadonlyMap<string, string>;
  /** The URI as written, with `pin-value` replaced by `***`, for messages. */
  redacted: string;
}

function bad(message: string): ImgsealError {
  return new ImgsealError('INVALID_KEY', message);
}

/** Go's url.QueryUnescape: `%XX` → byte, `+` → space; each byte becomes one Latin-1 char (ids are binary). */
function decode(value: string, what: string): string {
  if (/%(?![0-9a-fA-F]{2})/.test(value)) throw bad(`malformed pkcs11 URI: bad percent-encoding in ${what}`);
  return value.replace(/\+/g, ' ').replace(/%([0-9a-fA-F]{2})/g, (_m, hex: string) => String.fromCharCode(parseInt(hex, 16)));
}

function attributes(part: string, sep: string, kind: string): Map<string, string> {
  const out = new Map<string, string>();
  if (part === '') return out;
  for (const item of part.split(sep)) {
    const kv = item.split('=');
    if (kv.length !== 2 || kv[0] === '') throw bad(`malformed pkcs11 URI: malformed ${kind} attribute`);
    const [name, value] = kv as [string, string];
    if (out.has(name)) throw bad(`malformed pkcs11 URI: duplicate ${kind} attribute ${name}`);
    out.set(name, decode(value, name));
  }
  return out;
}

export function redactUri(uri: string): string {
  return uri.replace(/([?&]pin-value=)[^&]*/g, '$1***');
}

export function parsePkcs11Uri(text: string): Pkcs11Uri {
  if (!text.startsWith('pkcs11:')) throw bad('malformed pkcs11 URI: missing pkcs11: prefix');
  const redacted = redactUri(text);
  const parts = text.slice('pkcs11:'.length).split('?');
  if (parts.length > 2) throw bad(`malformed pkcs11 URI: too many query parts in ${redacted}`);
  const path = attributes(parts[0] ?? '', ';', 'path');
  const query = attributes(parts[1] ?? '', '&', 'query');
  const slot = path.get('slot-id');
  if (slot !== undefined && !/^[0-9]+$/.test(slot)) throw bad(`pkcs11 URI: slot-id must be a number in ${redacted}`);
  const type = path.get('type');
  if (type !== undefined && !['public', 'private', 'cert', 'secret-key', 'data'].includes(type)) throw bad(`pkcs11 URI: invalid type '${type}' in ${redacted}`);
  if (query.has('pin-source') && query.has('pin-value')) throw bad(`pkcs11 URI must not contain both pin-source and pin-value: ${redacted}`);
  const modulePath = query.get('module-path');
  if (modulePath !== undefined && !isAbsolute(modulePath)) throw bad(`pkcs11 URI: module-path ${modulePath} must be absolute`);
  if (!path.has('id') && !path.has('object')) throw bad(`pkcs11 URI: neither 'id' nor 'object' is given in ${redacted}`);
  if (!path.has('token') && slot === undefined) throw bad(`pkcs11 URI: neither 'token' nor 'slot-id' is given in ${redacted}`);
  return { path, query, redacted };
}

/** The PIN from `pin-value` or `pin-source` (a file: path, read as is), or undefined. Never logged. */
export function uriPin(uri: Pkcs11Uri): string | undefined {
  const value = uri.query.get('pin-value');
  if (value !== undefined) return value;
  const source = uri.query.get('pin-source');
  if (source === undefined) return undefined;
  const file = source.startsWith('file:') ? source.slice('file:'.length) : source;
  if (!isAbsolute(file)) throw bad(`pkcs11 URI: pin-source path ${file} is not absolute`);
  try {
    return readFileSync(file, 'utf8');
  } catch (err) {
    throw bad(`pkcs11 URI: could not read the PIN file ${file}: ${(err as NodeJS.ErrnoException).code ?? 'read error'}`);
  }
}
