/**
 * The layer-descriptor annotations of an encrypted layer (spec §4):
 * `org.opencontainers.image.enc.pubopts` (std base64 of the public options) and
 * one `org.opencontainers.image.enc.keys.<scheme>` per key-wrap scheme whose
 * value is a comma-separated list of std-base64 entries, one per wrap
 * operation (a later "add recipients" appends an entry).
 */
import { ImgsealError } from '../errors.js';
import { decodeStdBase64, encodeStdBase64 } from './encoding.js';

/** Prefix containers/image strips on decryption (no trailing dot, on purpose: same as Go). */
export const ENC_ANNOTATION_PREFIX = 'org.opencontainers.image.enc';
export const KEYS_ANNOTATION_PREFIX = 'org.opencontainers.image.enc.keys.';
export const PUBOPTS_ANNOTATION = 'org.opencontainers.image.enc.pubopts';

export type Annotations = Record<string, string>;

export function keysAnnotation(scheme: string): string {
  return `${KEYS_ANNOTATION_PREFIX}${scheme}`;
}

export interface EncryptionAnnotations {
  /** Decoded public-options JSON bytes; undefined when the annotation is missing. */
  pubopts: Buffer | undefined;
  /** scheme (`jwe`, `pkcs7`, `provider.foo`, …) → decoded entries, in annotation order. */
  keys: Map<string, Buffer[]>;
}

function badBase64(annotation: string): ImgsealError {
  // Go's text, plus which annotation it was.
  return new ImgsealError('INVALID_ENCRYPTION_METADATA', `could not base64 decode the annotation ${annotation}`);
}

/** Splits and decodes one keys annotation value. Empty entries (stray commas) are skipped. */
export function decodeKeyEntries(value: string, annotation = 'value'): Buffer[] {
  const out: Buffer[] = [];
  for (const part of value.split(',')) {
    if (part === '') continue;
    const b = decodeStdBase64(part);
    if (!b) throw badBase64(annotation);
    out.push(b);
  }
  return out;
}

/** Reads the encryption annotations of a layer descriptor's annotations. */
export function readEncryptionAnnotations(annotations: Annotations | undefined): EncryptionAnnotations {
  const result: EncryptionAnnotations = { pubopts: undefined, keys: new Map() };
  for (const [name, value] of Object.entries(annotations ?? {})) {
    if (name === PUBOPTS_ANNOTATION) {
      const b = decodeStdBase64(value);
      if (!b) throw badBase64(name);
      result.pubopts = b;
    } else if (name.startsWith(KEYS_ANNOTATION_PREFIX) && name.length > KEYS_ANNOTATION_PREFIX.length) {
      result.keys.set(name.slice(KEYS_ANNOTATION_PREFIX.length), decodeKeyEntries(value, name));
    }
  }
  return result;
}

/** Scheme names that have a keys annotation, sorted (layerinfo's ENCRYPTION column). */
export function encryptionSchemes(annotations: Annotations | undefined): string[] {
  return Object.keys(annotations ?? {})
    .filter((k) => k.startsWith(KEYS_ANNOTATION_PREFIX) && k.length > KEYS_ANNOTATION_PREFIX.length)
    .map((k) => k.slice(KEYS_ANNOTATION_PREFIX.length))
    .sort();
}

/**
 * Annotations for a fresh encryption: pubopts plus one entry per scheme.
 * Schemes with no wrapped blob are left out (no empty annotation).
 */
export function buildEncryptionAnnotations(pubopts: Uint8Array, wrapped: ReadonlyMap<string, Uint8Array>): Annotations {
  const out: Annotations = {};
  for (const [scheme, blob] of wrapped) out[keysAnnotation(scheme)] = encodeStdBase64(blob);
  out[PUBOPTS_ANNOTATION] = encodeStdBase64(pubopts);
  return out;
}

/** `old,new`: adds a wrap-operation entry to an existing keys annotation value (§7.3). */
export function appendKeyEntry(existing: string | undefined, wrapped: Uint8Array): string {
  const entry = encodeStdBase64(wrapped);
  return existing ? `${existing},${entry}` : entry;
}

/** Copy without any `org.opencontainers.image.enc*` annotation; undefined when nothing is left. */
export function withoutEncryptionAnnotations(annotations: Annotations | undefined): Annotations | undefined {
  if (!annotations) return undefined;
  const rest = Object.entries(annotations).filter(([k]) => !k.startsWith(ENC_ANNOTATION_PREFIX));
  return rest.length > 0 ? Object.fromEntries(rest) : undefined;
}

/** Replaces all encryption annotations with `enc` (what an encryption does), keeping the others. */
export function withEncryptionAnnotations(annotations: Annotations | undefined, enc: Annotations): Annotations {
  return { ...withoutEncryptionAnnotations(annotations), ...enc };
}
