/**
 * TUF public keys as Notary v1 writes them: `{"keytype", "keyval": {"private": null, "public": b64}}`.
 * The key ID is the hex SHA-256 of that object's canonical JSON, so a reader recomputes it
 * for every key it uses: a key listed under another key's ID is refused.
 *
 * keytype    public = base64 of
 * ecdsa      DER SubjectPublicKeyInfo
 * ecdsa-x509 the PEM text of an X.509 certificate
 * rsa        DER SubjectPublicKeyInfo (>= 2048 bits)
 * rsa-x509   the PEM text of an X.509 certificate
 * ed25519    the raw 32-byte public key
 */
import { createHash, createPublicKey, X509Certificate, type KeyObject } from 'node:crypto';
import { ImgsealError } from '../../errors.js';
import { canonicalJson } from './canonical-json.js';

export type TufKeyType = 'ecdsa' | 'ecdsa-x509' | 'rsa' | 'rsa-x509' | 'ed25519';
const KEY_TYPES: ReadonlySet<string> = new Set(['ecdsa', 'ecdsa-x509', 'rsa', 'rsa-x509', 'ed25519']);

export interface TufPublicKey {
  /** The key ID as listed (and checked): sha256 of the canonical key object. */
  readonly id: string;
  readonly keytype: TufKeyType;
  /** keyval.public as written (base64). */
  readonly publicB64: string;
  readonly key: KeyObject;
  /** For *-x509 keys: the certificate. */
  readonly certificate?: X509Certificate;
  /**
   * The ID of the bare key (`ecdsa`/`rsa` + SPKI) for x509 keys, else the ID itself:
   * what notary and docker name private key files and signers by.
   */
  readonly canonicalId: string;
}

/** The TUF key ID of a key object: lowercase hex sha256 of its canonical JSON. */
export function tufKeyId(keytype: string, publicB64: string): string {
  return createHash('sha256').update(canonicalJson({ keytype, keyval: { private: null, public: publicB64 } })).digest('hex');
}

/** The key object for a public key, as Notary lists it (bare SPKI form for ECDSA/RSA). */
export function tufKeyObject(key: KeyObject): { keytype: TufKeyType; keyval: { private: null; public: string } } {
  const type = key.asymmetricKeyType;
  if (type === 'ed25519') {
    const raw = key.export({ format: 'der', type: 'spki' }).subarray(-32);
    return { keytype: 'ed25519', keyval: { private: null, public: raw.toString('base64') } };
  }
  if (type !== 'ec' && type !== 'rsa') throw new ImgsealError('INVALID_KEY', `a ${String(type)} key cannot be a Notary key`);
  const spki = key.export({ format: 'der', type: 'spki' });
  return { keytype: type === 'ec' ? 'ecdsa' : 'rsa', keyval: { private: null, public: spki.toString('base64') } };
}

/**
 * Parses and checks one listed key. `listedId` is the ID it is listed under; `where`
 * names the file and role for messages.
 */
export function parseTufPublicKey(listedId: string, raw: unknown, where: string): TufPublicKey {
  const obj = raw as { keytype?: unknown; keyval?: { public?: unknown } } | null;
  if (typeof obj !== 'object' || obj === null || typeof obj.keytype !== 'string' || typeof obj.keyval !== 'object' || obj.keyval === null || typeof obj.keyval.public !== 'string') {
    throw invalid(`${where}: key ${listedId} is not a {keytype, keyval.public} object`);
  }
  const keytype = obj.keytype.toLowerCase();
  if (!KEY_TYPES.has(keytype)) throw invalid(`${where}: key ${listedId} has the unsupported type ${obj.keytype}`);
  const publicB64 = obj.keyval.public;
  // The ID covers the keytype as written, so it is computed before lower-casing.
  if (tufKeyId(obj.keytype, publicB64) !== listedId) {
    throw new ImgsealError('TRUST_METADATA_INVALID', `${where}: key ${listedId} does not hash to its ID`);
  }
  const bytes = Buffer.from(publicB64, 'base64');
  let key: KeyObject;
  let certificate: X509Certificate | undefined;
  try {
    if (keytype.endsWith('-x509')) {
      certificate = new X509Certificate(bytes);
      key = certificate.publicKey;
    } else if (keytype === 'ed25519') {
      if (bytes.length !== 32) throw new Error('not 32 bytes');
      key = createPublicKey({ key: { kty: 'OKP', crv: 'Ed25519', x: bytes.toString('base64url') }, format: 'jwk' });
    } else {
      key = createPublicKey({ key: bytes, format: 'der', type: 'spki' });
    }
  } catch (err) {
    throw invalid(`${where}: key ${listedId} (${keytype}) cannot be read: ${(err as Error).message}`);
  }
  const family = keytype.startsWith('ecdsa') ? 'ec' : keytype.startsWith('rsa') ? 'rsa' : 'ed25519';
  if (key.asymmetricKeyType !== family) throw invalid(`${where}: key ${listedId} is a ${String(key.asymmetricKeyType)} key listed as ${keytype}`);
  if (family === 'rsa' && (key.asymmetricKeyDetails?.modulusLength ?? 0) < 2048) {
    throw invalid(`${where}: RSA key ${listedId} is shorter than 2048 bits`);
  }
  const bare = tufKeyObject(key);
  const canonicalId = certificate ? tufKeyId(bare.keytype, bare.keyval.public) : listedId;
  return { id: listedId, keytype: keytype as TufKeyType, publicB64, key, ...(certificate ? { certificate } : {}), canonicalId };
}

/** Parses a `keys` map (root.json or a delegations block). */
export function parseKeyMap(raw: unknown, where: string): Map<string, TufPublicKey> {
  if (typeof raw !== 'object' || raw === null || Array.isArray(raw)) throw invalid(`${where}: keys is not an object`);
  const out = new Map<string, TufPublicKey>();
  for (const [id, k] of Object.entries(raw)) out.set(id, parseTufPublicKey(id, k, where));
  return out;
}

function invalid(message: string): ImgsealError {
  return new ImgsealError('TRUST_METADATA_INVALID', message);
}
