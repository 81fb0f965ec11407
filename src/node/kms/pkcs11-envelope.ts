/**
 * The wrapped-key format of the PKCS#11 back end: one line of standard base64 of a
 * JSON object, so it fits where a Key Protect ciphertext goes (a kp-key Secret entry):
 *
 *   {"kms":"pkcs11","version":1,"token":"node-kek","key-label":"imgseal-kek","key-id":"02",
 *    "mechanism":"CKM_AES_GCM","iv":"<b64, 12 bytes>","ciphertext":"<b64: GCM(key file) || 16-byte tag>"}
 *
 * `kms` tells it from a Key Protect ciphertext; `token`, `key-label` and `key-id` say
 * which key on which token unwraps it (the label and id the key object carries). The
 * additional authenticated data is the JSON of the fields before `iv`, in this order,
 * so a changed token or key name fails the tag like a changed ciphertext does.
 */
import { ImgsealError } from '../../errors.js';

export const PKCS11_ENVELOPE_VERSION = 1;
export const PKCS11_MECHANISM = 'CKM_AES_GCM';

export interface Pkcs11Envelope {
  token: string;
  keyLabel: string;
  /** Hex of CKA_ID, may be empty. */
  keyId: string;
  iv: Buffer;
  ciphertext: Buffer;
}

const FIELDS = ['kms', 'version', 'token', 'key-label', 'key-id', 'mechanism', 'iv', 'ciphertext'];

function bad(message: string): ImgsealError {
  return new ImgsealError('KMS_ERROR', `invalid PKCS#11 wrapped key: ${message}`);
}

/** What the tag authenticates besides the ciphertext. */
export function envelopeAad(e: Pick<Pkcs11Envelope, 'token' | 'keyLabel' | 'keyId'>): Buffer {
  return Buffer.from(JSON.stringify({ kms: 'pkcs11', version: PKCS11_ENVELOPE_VERSION, token: e.token, 'key-label': e.keyLabel, 'key-id': e.keyId, mechanism: PKCS11_MECHANISM }), 'utf8');
}

export function encodePkcs11Envelope(e: Pkcs11Envelope): string {
  const head = JSON.parse(envelopeAad(e).toString('utf8')) as Record<string, unknown>;
  return Buffer.from(JSON.stringify({ ...head, iv: e.iv.toString('base64'), ciphertext: e.ciphertext.toString('base64') }), 'utf8').toString('base64');
}

const B64 = /^[A-Za-z0-9+/]*={0,2}$/;

export function decodePkcs11Envelope(wrapped: string): Pkcs11Envelope {
  const text = wrapped.trim();
  if (!B64.test(text)) throw bad('not base64');
  let o: unknown;
  try {
    o = JSON.parse(Buffer.from(text, 'base64').toString('utf8'));
  } catch {
    throw bad('not base64 of JSON');
  }
  if (typeof o !== 'object' || o === null || Array.isArray(o)) throw bad('not a JSON object');
  const r = o as Record<string, unknown>;
  for (const k of Object.keys(r)) if (!FIELDS.includes(k)) throw bad(`unknown field ${JSON.stringify(k)}`);
  if (r.kms !== 'pkcs11') throw bad('"kms" is not "pkcs11"');
  if (r.version !== PKCS11_ENVELOPE_VERSION) throw bad(`version ${JSON.stringify(r.version)}, this imgseal reads version ${PKCS11_ENVELOPE_VERSION}`);
  if (r.mechanism !== PKCS11_MECHANISM) throw bad(`mechanism ${JSON.stringify(r.mechanism)}, this imgseal reads ${PKCS11_MECHANISM}`);
  const s = (k: string, nonEmpty: boolean): string => {
    const v = r[k];
    if (typeof v !== 'string' || (nonEmpty && v === '')) throw bad(`"${k}" must be a ${nonEmpty ? 'non-empty ' : ''}string`);
    return v;
  };
  const b = (k: string): Buffer => {
    const v = s(k, true);
    if (!B64.test(v)) throw bad(`"${k}" is not base64`);
    return Buffer.from(v, 'base64');
  };
  const keyLabel = s('key-label', false);
  const keyId = s('key-id', false);
  if (keyLabel === '' && keyId === '') throw bad('names no key ("key-label" and "key-id" are empty)');
  if (keyId !== '' && !/^([0-9a-f]{2})+$/.test(keyId)) throw bad('"key-id" is not lower-case hex');
  const iv = b('iv');
  if (iv.length !== 12) throw bad(`the IV has ${iv.length} bytes, not 12`);
  const ciphertext = b('ciphertext');
  if (ciphertext.length <= 16) throw bad('the ciphertext is shorter than a GCM tag');
  return { token: s('token', true), keyLabel, keyId, iv, ciphertext };
}
