/**
 * `--encryption-key SCHEME:VALUE` → a loaded Recipient (spec §6.1). Only `jwe`
 * is implemented; the other ocicrypt schemes are recognised so users get
 * "not supported yet" instead of "not recognized" or, worse, silence.
 */
import { createPublicKey, X509Certificate, type JsonWebKey, type KeyObject } from 'node:crypto';
import { ImgsealError } from '../../errors.js';
import type { Recipient } from '../wrap/types.js';
import { jweAlgorithmFor } from '../wrap/jwe/algorithms.js';
import { publicKeyFingerprint } from './fingerprint.js';
import { jsonObject, pemBlocks, readKeyFile } from './files.js';

const NOT_YET = ['pkcs7', 'pgp', 'pkcs11', 'provider'];

function bad(message: string): ImgsealError {
  return new ImgsealError('INVALID_RECIPIENT', message);
}

export async function parseRecipient(spec: string): Promise<Recipient> {
  const i = spec.indexOf(':');
  if (i < 0) throw bad(`Invalid recipient format: ${spec} (expected SCHEME:VALUE, e.g. jwe:key.pub.pem)`);
  const scheme = spec.slice(0, i);
  const value = spec.slice(i + 1);
  if (scheme === 'jwe') return parseJweRecipient(value, spec);
  if (NOT_YET.includes(scheme)) {
    throw bad(`${scheme} recipients are not supported yet (only jwe:<public key file> is); in ${spec}`);
  }
  throw bad(`Provided protocol not recognized: ${scheme}`);
}

async function parseJweRecipient(path: string, source: string): Promise<Recipient> {
  if (path === '') throw bad(`Invalid recipient format: ${source} (missing public key file after jwe:)`);
  const data = await readKeyFile(path, 'INVALID_RECIPIENT');
  const notPublic = (hint: string): ImgsealError => bad(`File provided is not a public key: ${path} (${hint})`);
  let publicKey: KeyObject;
  let jwkAlg: string | undefined;
  let jwkKid: string | undefined;

  const jwk = jsonObject(data);
  const pem = pemBlocks(data)[0];
  if (jwk) {
    if (jwk.d !== undefined) throw notPublic('it is a private JWK; give the public JWK (without "d")');
    if (jwk.kty !== 'RSA' && jwk.kty !== 'EC') throw notPublic(`JWK kty ${String(jwk.kty)} is not RSA or EC`);
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
  const fingerprint = await publicKeyFingerprint(publicKey);
  return { scheme: 'jwe', source, publicKey, jwkAlg, jwkKid, fingerprint };
}

function derHint(data: Buffer, path: string): string {
  try {
    new X509Certificate(data);
    return `it is an X.509 certificate; use pkcs7:${path}`;
  } catch {
    return 'expected a DER or PEM SubjectPublicKeyInfo ("PUBLIC KEY") or a public JWK';
  }
}
