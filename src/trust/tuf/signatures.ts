/**
 * Signature checks as Notary v1 makes them:
 * - ecdsa: SHA-256 over the canonical bytes, the signature raw r||s (each half the
 *   curve's byte size), not DER; SHA-256 for every curve, as notary's verifier does.
 * - rsapss: RSASSA-PSS, SHA-256, MGF1-SHA-256, salt length 32 (not "auto").
 * - rsapkcs1v15: PKCS#1 v1.5 with SHA-256.
 * - eddsa: Ed25519, 64-byte signature.
 * A role is satisfied when at least `threshold` distinct listed keys made valid
 * signatures; signatures by keys the role does not list are ignored.
 */
import { constants, verify } from 'node:crypto';
import { ImgsealError } from '../../errors.js';
import type { TufPublicKey } from './keys.js';

export interface UntrustedSignature {
  keyid: string;
  /** Lower-cased, as notary compares it. */
  method: string;
  sig: Buffer;
}

export interface RoleKeys {
  keyids: readonly string[];
  threshold: number;
}

const EC_BYTES: Record<string, number> = { 'P-256': 32, 'prime256v1': 32, 'P-384': 48, 'secp384r1': 48, 'P-521': 66, 'secp521r1': 66 };

/** True when `sig` is a valid signature of `data` by `key` with `method`. Never throws on bad input. */
export function signatureValid(key: TufPublicKey, method: string, sig: Buffer, data: Buffer): boolean {
  try {
    switch (method) {
      case 'ecdsa': {
        if (key.key.asymmetricKeyType !== 'ec') return false;
        const half = EC_BYTES[String(key.key.asymmetricKeyDetails?.namedCurve)];
        if (!half || sig.length !== 2 * half) return false;
        return verify('sha256', data, { key: key.key, dsaEncoding: 'ieee-p1363' }, sig);
      }
      case 'rsapss':
        if (key.key.asymmetricKeyType !== 'rsa') return false;
        return verify('sha256', data, { key: key.key, padding: constants.RSA_PKCS1_PSS_PADDING, saltLength: 32 }, sig);
      case 'pycrypto-pkcs#1 pss':
        if (key.key.asymmetricKeyType !== 'rsa') return false;
        return verify('sha256', data, { key: key.key, padding: constants.RSA_PKCS1_PSS_PADDING, saltLength: constants.RSA_PSS_SALTLEN_AUTO }, sig);
      case 'rsapkcs1v15':
        if (key.key.asymmetricKeyType !== 'rsa') return false;
        return verify('sha256', data, { key: key.key, padding: constants.RSA_PKCS1_PADDING }, sig);
      case 'eddsa':
        if (key.key.asymmetricKeyType !== 'ed25519' || sig.length !== 64) return false;
        return verify(null, data, key.key, sig);
      default:
        return false;
    }
  } catch {
    return false;
  }
}

/**
 * Checks that `signatures` over `data` satisfy `role` with keys from `keys`.
 * Throws TRUST_SIGNATURE_INVALID naming the role and what was missing.
 */
export function verifyRoleSignatures(data: Buffer, signatures: readonly UntrustedSignature[], role: RoleKeys, keys: ReadonlyMap<string, TufPublicKey>, what: string): void {
  if (!Number.isInteger(role.threshold) || role.threshold < 1) {
    throw new ImgsealError('TRUST_METADATA_INVALID', `${what}: the role's threshold ${role.threshold} is not a positive integer`);
  }
  if (signatures.length === 0) throw new ImgsealError('TRUST_SIGNATURE_INVALID', `${what} has no signatures`);
  const listed = new Set(role.keyids);
  const valid = new Set<string>();
  for (const s of signatures) {
    if (!listed.has(s.keyid) || valid.has(s.keyid)) continue;
    const key = keys.get(s.keyid);
    if (key && signatureValid(key, s.method, s.sig, data)) valid.add(s.keyid);
  }
  if (valid.size < role.threshold) {
    const detail = valid.size === 0 ? 'no valid signature by any of its keys' : `${valid.size} valid signature(s), ${role.threshold} needed`;
    throw new ImgsealError('TRUST_SIGNATURE_INVALID', `${what} is not signed as its role requires: ${detail}`);
  }
}
