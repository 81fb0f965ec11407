/**
 * Which JWE algorithms we write and accept (spec §5.1), and how a recipient
 * key picks its `alg`.
 */
import type { KeyObject } from 'node:crypto';
import { ImgsealError } from '../../../errors.js';

/** Key-management algorithms ocicrypt accepts, for writing (JWK `alg`) and reading. */
export const JWE_KEY_ALGORITHMS: readonly string[] = ['RSA-OAEP', 'RSA-OAEP-256', 'ECDH-ES+A128KW', 'ECDH-ES+A192KW', 'ECDH-ES+A256KW'];

/** Every RFC 7518 content encryption; go-jose decrypts all of them, so we do too. */
export const JWE_CONTENT_ENCRYPTIONS: readonly string[] = ['A128CBC-HS256', 'A192CBC-HS384', 'A256CBC-HS512', 'A128GCM', 'A192GCM', 'A256GCM'];

/** What ocicrypt always writes. */
export const JWE_ENC = 'A256GCM';

const EC_CURVES: Record<string, string> = { prime256v1: 'P-256', secp384r1: 'P-384', secp521r1: 'P-521' };

/** 'rsa' | 'ec' for keys JWE can use, else undefined. */
export function jweKeyFamily(key: KeyObject): 'rsa' | 'ec' | undefined {
  if (key.asymmetricKeyType === 'rsa') return 'rsa';
  if (key.asymmetricKeyType === 'ec' && EC_CURVES[key.asymmetricKeyDetails?.namedCurve ?? ''] !== undefined) return 'ec';
  return undefined;
}

/** A description of the key for messages, e.g. `RSA-2048`, `EC P-256`, `ed25519`. */
export function describeKeyType(key: KeyObject): string {
  const d = key.asymmetricKeyDetails;
  if (key.asymmetricKeyType === 'rsa') return `RSA-${d?.modulusLength ?? '?'}`;
  if (key.asymmetricKeyType === 'ec') return `EC ${EC_CURVES[d?.namedCurve ?? ''] ?? d?.namedCurve ?? '?'}`;
  return key.asymmetricKeyType ?? key.type;
}

/**
 * The `alg` for a recipient: the JWK's own `alg` when it has one (must be one of
 * JWE_KEY_ALGORITHMS and fit the key), else RSA-OAEP for RSA and
 * ECDH-ES+A256KW for EC, as go-jose does for PEM/DER keys. (go-jose would use
 * RSA-OAEP for an EC JWK without `alg` and fail; we pick the working one.)
 */
export function jweAlgorithmFor(key: KeyObject, jwkAlg?: string): string {
  const family = jweKeyFamily(key);
  if (!family) {
    throw new ImgsealError('INVALID_RECIPIENT', `a ${describeKeyType(key)} key cannot be a JWE recipient; use RSA or EC P-256/P-384/P-521`);
  }
  if (jwkAlg === undefined || jwkAlg === '') return family === 'rsa' ? 'RSA-OAEP' : 'ECDH-ES+A256KW';
  if (!JWE_KEY_ALGORITHMS.includes(jwkAlg)) {
    throw new ImgsealError('INVALID_RECIPIENT', `${jwkAlg} is an unsupported JWE key algorithm`);
  }
  if ((family === 'rsa') !== jwkAlg.startsWith('RSA-')) {
    throw new ImgsealError('INVALID_RECIPIENT', `JWE key algorithm ${jwkAlg} cannot be used with a ${describeKeyType(key)} key`);
  }
  return jwkAlg;
}
