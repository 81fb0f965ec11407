/**
 * The two JSON documents of an encrypted layer (spec §3.5, §3.6):
 *  - private options `{"symkey","digest","cipheroptions":{"nonce"}}`, the
 *    secret every key-wrap scheme protects;
 *  - public options `{"cipher","hmac","cipheroptions":{}}`, stored base64 in
 *    the `org.opencontainers.image.enc.pubopts` annotation.
 *
 * Serialisation is byte-exact with Go's encoding/json (struct field order,
 * compact, padded std base64, sorted map keys), because the private-options
 * bytes are what gets wrapped and other tools compare/reuse them. Parsing is as
 * lenient as Go's (case-insensitive field names, unknown fields ignored) but
 * the values are validated here rather than deep inside a stream.
 */
import { ImgsealError } from '../../errors.js';
import { decodeStdBase64, encodeStdBase64, goField, goJsonBytesMap, goJsonString } from '../encoding.js';
import { LAYER_CIPHER, NONCE_LENGTH, SYMKEY_LENGTH, type LayerCipherParams, type LayerSecrets } from './layer-cipher.js';

export interface PrivateOptions {
  symkey: Buffer;
  /** Digest of the blob given to the encryptor; informational, may be "" or wrong (§3.6). */
  digest: string;
  cipherOptions: Record<string, Buffer>;
}

export interface PublicOptions {
  cipher: string;
  hmac: Buffer;
  cipherOptions: Record<string, Buffer>;
}

export function privateOptionsFor(secrets: LayerSecrets, digest: string): PrivateOptions {
  return { symkey: secrets.symkey, digest, cipherOptions: { nonce: secrets.nonce } };
}

export function publicOptionsFor(hmac: Buffer): PublicOptions {
  // The encryptor always writes an empty cipheroptions object; the nonce lives
  // in the private options.
  return { cipher: LAYER_CIPHER, hmac, cipherOptions: {} };
}

export function serializePrivateOptions(o: PrivateOptions): Buffer {
  const json =
    `{"symkey":${goJsonString(encodeStdBase64(o.symkey))},"digest":${goJsonString(o.digest)},` +
    `"cipheroptions":${goJsonBytesMap(o.cipherOptions)}}`;
  return Buffer.from(json, 'utf8');
}

export function serializePublicOptions(o: PublicOptions): Buffer {
  const json =
    `{"cipher":${goJsonString(o.cipher)},"hmac":${goJsonString(encodeStdBase64(o.hmac))},` +
    `"cipheroptions":${goJsonBytesMap(o.cipherOptions)}}`;
  return Buffer.from(json, 'utf8');
}

function invalid(message: string): ImgsealError {
  return new ImgsealError('INVALID_ENCRYPTION_METADATA', message);
}

function parseObject(bytes: Uint8Array, what: string): Record<string, unknown> {
  let value: unknown;
  try {
    value = JSON.parse(Buffer.from(bytes).toString('utf8'));
  } catch {
    // The text is not echoed: for private options it is key material.
    throw invalid(`could not parse ${what}: not valid JSON`);
  }
  if (typeof value !== 'object' || value === null || Array.isArray(value)) {
    throw invalid(`could not parse ${what}: not a JSON object`);
  }
  return value as Record<string, unknown>;
}

/** A Go `[]byte` field: base64 string or null/absent (= empty). */
function bytesField(v: unknown, what: string): Buffer {
  if (v === undefined || v === null) return Buffer.alloc(0);
  const b = typeof v === 'string' ? decodeStdBase64(v) : undefined;
  if (!b) throw invalid(`could not parse ${what}: not a base64 string`);
  return b;
}

function stringField(v: unknown, what: string): string {
  if (v === undefined || v === null) return '';
  if (typeof v !== 'string') throw invalid(`could not parse ${what}: not a string`);
  return v;
}

function cipherOptionsField(v: unknown, what: string): Record<string, Buffer> {
  if (v === undefined || v === null) return {};
  if (typeof v !== 'object' || Array.isArray(v)) throw invalid(`could not parse ${what}.cipheroptions: not an object`);
  const out: Record<string, Buffer> = {};
  // Map keys are matched exactly by Go (only struct fields fold case).
  for (const [k, val] of Object.entries(v as Record<string, unknown>)) out[k] = bytesField(val, `${what}.cipheroptions.${k}`);
  return out;
}

/** Parses and validates private options (symkey must be 32 bytes). */
export function parsePrivateOptions(bytes: Uint8Array): PrivateOptions {
  const o = parseObject(bytes, 'private options');
  const symkey = bytesField(goField(o, 'symkey'), 'private options symkey');
  if (symkey.length !== SYMKEY_LENGTH) {
    throw invalid(`invalid key length of ${symkey.length} bytes; need ${SYMKEY_LENGTH} bytes`);
  }
  return {
    symkey,
    digest: stringField(goField(o, 'digest'), 'private options digest'),
    cipherOptions: cipherOptionsField(goField(o, 'cipheroptions'), 'private options'),
  };
}

/**
 * Parses and validates public options. `undefined` (annotation missing) is
 * treated like Go treats it: as empty options, hence "no cipher type provided".
 */
export function parsePublicOptions(bytes: Uint8Array | undefined): PublicOptions {
  const o = bytes === undefined ? {} : parseObject(bytes, 'public options');
  const cipher = stringField(goField(o, 'cipher'), 'public options cipher');
  if (cipher === '') throw invalid('no cipher type provided');
  if (cipher !== LAYER_CIPHER) throw invalid(`unsupported cipher type: ${cipher}`);
  const hmac = bytesField(goField(o, 'hmac'), 'public options hmac');
  if (hmac.length === 0) throw invalid('HMAC is not provided for decryption process');
  return { cipher, hmac, cipherOptions: cipherOptionsField(goField(o, 'cipheroptions'), 'public options') };
}

/**
 * Everything LayerDecryptor needs. The nonce comes from the public options
 * first, then the private ones (Go's order). Go invents a random nonce when
 * there is none, which only produces garbage; we fail instead.
 */
export function resolveLayerCipherParams(pub: PublicOptions, priv: PrivateOptions): LayerCipherParams {
  const nonce = pub.cipherOptions.nonce ?? priv.cipherOptions.nonce;
  if (nonce === undefined) throw invalid('no nonce in the public or private cipher options');
  if (nonce.length !== NONCE_LENGTH) {
    throw invalid(`invalid nonce length of ${nonce.length} bytes; need ${NONCE_LENGTH} bytes`);
  }
  return { symkey: priv.symkey, nonce, hmac: pub.hmac };
}
