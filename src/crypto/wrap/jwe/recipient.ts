/**
 * `jwe:FILE` → a JWE recipient (spec §6.1): DER or PEM SubjectPublicKeyInfo, or a
 * public JWK. For `recipients remove` (purpose `match`) a private key file is
 * accepted too: it identifies entries that carry no `kid` by decrypting them.
 */
import { createPublicKey, X509Certificate, type JsonWebKey, type KeyObject } from 'node:crypto';
import { ImgsealError } from '../../../errors.js';
import { quoted } from '../../../util/quote.js';
import { publicKeyFingerprint } from '../../keys/fingerprint.js';
import { jsonObject, pemBlocks, readKeyFile } from '../../keys/files.js';
import { privateKeyOf } from '../../keys/material.js';
import { parseDecryptionKeyData } from '../../keys/private-key.js';
import type { Recipient, RecipientPurpose } from '../types.js';
import { jweAlgorithmFor } from './algorithms.js';

/** What a JWE Recipient carries (its `material`). */
export interface JweRecipientMaterial {
  publicKey: KeyObject;
  /** `alg` from a JWK, when it had one. */
  jwkAlg?: string;
  /** `kid` from a JWK, when it had one (other tools write it into the entry). */
  jwkKid?: string;
  /** RFC 7638 SHA-256 JWK thumbprint (base64url); what we write as `kid`. */
  fingerprint: string;
  /** Only for purpose `match`: the private key that identifies kid-less entries. */
  privateKey?: KeyObject;
}

function bad(message: string): ImgsealError {
  return new ImgsealError('INVALID_RECIPIENT', message);
}

export function jweMaterial(r: Recipient): JweRecipientMaterial {
  const m = r.material as Partial<JweRecipientMaterial> | undefined;
  if (r.scheme !== 'jwe' || !m?.publicKey || typeof m.fingerprint !== 'string') {
    throw new ImgsealError('INVALID_RECIPIENT', `${r.source}: not a JWE recipient with a public key`);
  }
  return m as JweRecipientMaterial;
}

export async function parseJweRecipient(path: string, purpose: RecipientPurpose = 'encrypt'): Promise<Recipient> {
  const source = `jwe:${path}`;
  if (path === '') throw bad(`Invalid recipient format: ${source} (missing public key file after jwe:)`);
  const data = await readKeyFile(path, 'INVALID_RECIPIENT');
  const notPublic = (hint: string): ImgsealError => bad(`File provided is not a public key: ${path} (${hint})`);
  let publicKey: KeyObject;
  let privateKey: KeyObject | undefined;
  let jwkAlg: string | undefined;
  let jwkKid: string | undefined;

  const jwk = jsonObject(data);
  const pem = pemBlocks(data)[0];
  if (purpose === 'match' && isPrivateKeyFile(data, jwk, pem?.label)) {
    privateKey = privateKeyOf(parseDecryptionKeyData(data, path, []));
    if (!privateKey) throw notPublic('not a public or private key');
    publicKey = createPublicKey(privateKey);
    if (jwk && typeof jwk.kid === 'string') jwkKid = jwk.kid;
  } else if (jwk) {
    if (jwk.d !== undefined) throw notPublic('it is a private JWK; give the public JWK (without "d")');
    if (jwk.kty !== 'RSA' && jwk.kty !== 'EC') throw notPublic(`JWK kty ${quoted(jwk.kty)} is not RSA or EC`);
    try {
      publicKey = createPublicKey({ key: jwk as JsonWebKey, format: 'jwk' });
    } catch {
      throw notPublic('the JWK does not describe a valid RSA or EC public key');
    }
    if (typeof jwk.alg === 'string') jwkAlg = jwk.alg;
    if (typeof jwk.kid === 'string') jwkKid = jwk.kid;
  } else if (pem) {
    if (pem.label === 'RSA PUBLIC KEY') {
      throw notPublic(`PKCS#1 "RSA PUBLIC KEY" PEM is not accepted by ocicrypt; convert it with: openssl rsa -RSAPublicKey_in -pubout -in ${path}`);
    }
    if (pem.label === 'CERTIFICATE') {
      throw notPublic(`it is an X.509 certificate; use pkcs7:${path}, or extract the key with: openssl x509 -pubkey -noout -in ${path}`);
    }
    if (pem.label.includes('PRIVATE KEY')) {
      throw notPublic(`it is a private key; give the public key, e.g. from: openssl pkey -pubout -in ${path}`);
    }
    if (pem.label !== 'PUBLIC KEY') throw notPublic(`PEM block "${pem.label}" is not a "PUBLIC KEY"`);
    try {
      publicKey = createPublicKey({ key: pem.text, format: 'pem', type: 'spki' });
    } catch {
      throw notPublic('the PUBLIC KEY PEM block does not parse');
    }
  } else {
    try {
      publicKey = createPublicKey({ key: data, format: 'der', type: 'spki' });
    } catch {
      throw notPublic(derHint(data, path));
    }
  }
  // Checks the key type and the JWK alg now, so errors name the file and come
  // before any layer is encrypted.
  try {
    jweAlgorithmFor(publicKey, jwkAlg);
  } catch (err) {
    throw bad(`${path}: ${(err as Error).message}`);
  }
  let fingerprint: string;
  try {
    fingerprint = await publicKeyFingerprint(publicKey);
  } catch {
    // Node imports some keys jose cannot export (an empty RSA modulus in a JWK).
    throw notPublic('the key does not describe a valid RSA or EC public key');
  }
  const material: JweRecipientMaterial = { publicKey, fingerprint, ...(jwkAlg ? { jwkAlg } : {}), ...(jwkKid ? { jwkKid } : {}), ...(privateKey ? { privateKey } : {}) };
  return { scheme: 'jwe', source, label: `jwe:${fingerprint}`, material };
}

function isPrivateKeyFile(data: Buffer, jwk: Record<string, unknown> | undefined, pemLabel: string | undefined): boolean {
  if (jwk) return jwk.d !== undefined;
  if (pemLabel !== undefined) return pemLabel.includes('PRIVATE KEY');
  try {
    createPublicKey({ key: data, format: 'der', type: 'spki' });
    return false;
  } catch {
    return true; // DER that is no public key: let the private-key parser decide (and explain)
  }
}

function derHint(data: Buffer, path: string): string {
  try {
    new X509Certificate(data);
    return `it is an X.509 certificate; use pkcs7:${path}`;
  } catch {
    return 'expected a DER or PEM SubjectPublicKeyInfo ("PUBLIC KEY") or a public JWK';
  }
}
