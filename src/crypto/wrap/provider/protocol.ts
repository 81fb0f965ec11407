/**
 * The keyprovider protocol messages (spec §5.5, notes §5.1): the JSON ocicrypt's
 * Go structs marshal to, with the same field order, and the parsing of the
 * provider's answer. Both transports (command, gRPC) carry these exact bytes.
 *
 * Deliberately unlike ocicrypt, the EncryptConfig / DecryptConfig we send hold
 * only this provider's own parameters (`Parameters: {NAME: [...]}`), never other
 * schemes' keys or passwords (ocicrypt sends the whole config).
 */
import { ImgsealError } from '../../../errors.js';
import { decodeStdBase64, encodeStdBase64, goJsonString } from '../../encoding.js';

function parametersJson(name: string, params: readonly Uint8Array[]): string {
  if (params.length === 0) return '{}';
  return `{${goJsonString(name)}:[${params.map((p) => `"${encodeStdBase64(p)}"`).join(',')}]}`;
}

/** The `keywrap` request for provider `name` with the user's `provider:NAME[:PARAMS]` values. */
export function keyWrapRequest(name: string, params: readonly Uint8Array[], privateOptions: Uint8Array): Buffer {
  const ec = `{"Parameters":${parametersJson(name, params)},"DecryptConfig":{"Parameters":{}}}`;
  return Buffer.from(
    `{"op":"keywrap","keywrapparams":{"ec":${ec},"optsdata":"${encodeStdBase64(privateOptions)}"},"keyunwrapparams":{"dc":null,"annotation":null}}`,
    'utf8',
  );
}

/** The `keyunwrap` request for one annotation entry (already base64-decoded). */
export function keyUnwrapRequest(name: string, params: readonly Uint8Array[], entry: Uint8Array): Buffer {
  const dc = `{"Parameters":${parametersJson(name, params)}}`;
  return Buffer.from(
    `{"op":"keyunwrap","keywrapparams":{"ec":null,"optsdata":null},"keyunwrapparams":{"dc":${dc},"annotation":"${encodeStdBase64(entry)}"}}`,
    'utf8',
  );
}

function garbage(who: string, why: string): ImgsealError {
  return new ImgsealError('KEY_PROVIDER_ERROR', `${who}: answer is not keyprovider protocol JSON (${why})`);
}

function parseAnswer(bytes: Uint8Array, who: string): Record<string, unknown> {
  let doc: unknown;
  try {
    doc = JSON.parse(Buffer.from(bytes).toString('utf8'));
  } catch {
    throw garbage(who, bytes.length === 0 ? 'empty output' : 'not JSON');
  }
  if (typeof doc !== 'object' || doc === null || Array.isArray(doc)) throw garbage(who, 'not a JSON object');
  return doc as Record<string, unknown>;
}

function b64Field(parent: Record<string, unknown>, key: string, where: string, who: string): Buffer | undefined {
  const v = parent[key];
  if (v === undefined || v === null || v === '') return undefined;
  if (typeof v !== 'string') throw garbage(who, `"${where}" is not a base64 string`);
  const b = decodeStdBase64(v);
  if (!b) throw garbage(who, `"${where}" is not standard base64`);
  return b;
}

function results(doc: Record<string, unknown>, key: string, who: string): Record<string, unknown> {
  const r = doc[key];
  if (typeof r !== 'object' || r === null || Array.isArray(r)) throw garbage(who, `no "${key}" object`);
  return r as Record<string, unknown>;
}

/** `{"keywrapresults":{"annotation":B64}}` → the bytes to store (must not be empty). */
export function parseKeyWrapAnswer(bytes: Uint8Array, who: string): Buffer {
  const annotation = b64Field(results(parseAnswer(bytes, who), 'keywrapresults', who), 'annotation', 'keywrapresults.annotation', who);
  if (!annotation || annotation.length === 0) throw garbage(who, 'empty "keywrapresults.annotation"');
  return annotation;
}

/**
 * `{"keyunwrapresults":{"optsdata":B64}}` → the private options; undefined when
 * optsdata is empty or null (ocicrypt: "not decrypted, try the next entry").
 */
export function parseKeyUnwrapAnswer(bytes: Uint8Array, who: string): Buffer | undefined {
  const doc = parseAnswer(bytes, who);
  if (doc.keyunwrapresults === undefined || doc.keyunwrapresults === null) return undefined;
  return b64Field(results(doc, 'keyunwrapresults', who), 'optsdata', 'keyunwrapresults.optsdata', who);
}
