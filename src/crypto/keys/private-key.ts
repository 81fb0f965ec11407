/**
 * The shared key-file formats (spec §6.2), for files no scheme claimed
 * (KeyScheme.loadKeyFile runs first), decided from their content.
 * Accepted: DER PKCS#8 / PKCS#1 / SEC1, PEM PKCS#8 / PKCS#1, legacy encrypted
 * PEM and encrypted PKCS#8 (with a password), private JWK → kind `private-key`;
 * X.509 certificates → kind `certificates`; binary OpenPGP secret keyrings are
 * kept as bytes until a pgp scheme claims them.
 * Everything ocicrypt would silently ignore fails here with a one-line message
 * that names the file and the fix. Messages never contain key bytes or the
 * password.
 */
import { createPrivateKey, createPublicKey, X509Certificate, type JsonWebKey, type KeyObject } from 'node:crypto';
import { ImgsealError } from '../../errors.js';
import { describeKeyType, jweKeyFamily } from '../wrap/jwe/algorithms.js';
import type { DecryptionKey } from '../wrap/types.js';
import { certificatesEntry, OPENPGP_SECRET_KEYS_KIND, privateKeyEntry, type OpenpgpSecretKeysMaterial } from './material.js';
import { jsonObject, looksLikePkcs11Yaml, openpgpFirstTag, pemBlocks, type PemBlock } from './files.js';

/** Password candidates in order (a password file's trailing newline is tried both ways). */
export type PasswordCandidates = readonly Buffer[];

function invalid(path: string, message: string): ImgsealError {
  return new ImgsealError('INVALID_KEY', `${path}: ${message}`);
}

export function parseDecryptionKeyData(data: Buffer, path: string, passwords: PasswordCandidates): DecryptionKey {
  const blocks = pemBlocks(data);
  const first = blocks[0];
  if (first) return fromPem(first, blocks, path, passwords);

  const jwk = jsonObject(data);
  if (jwk) return privateKeyEntry(path, fromJwk(jwk, path));

  const tag = openpgpFirstTag(data);
  if (tag === 5) return { source: path, kind: OPENPGP_SECRET_KEYS_KIND, material: { data, passwords } satisfies OpenpgpSecretKeysMaterial };
  if (tag === 6) throw invalid(path, 'is an OpenPGP public key; decryption needs the secret key (gpg --export-secret-keys KEYID > file)');

  if (looksLikePkcs11Yaml(data)) throw invalid(path, 'looks like a PKCS#11 key file but is not one (expected a top-level pkcs11: map with uri: "pkcs11:…")');

  // Raw DER in ocicrypt's order: PKCS#8, PKCS#1, SEC1.
  for (const type of ['pkcs8', 'pkcs1', 'sec1'] as const) {
    try {
      return privateKeyEntry(path, usable(createPrivateKey({ key: data, format: 'der', type }), path));
    } catch (err) {
      if (err instanceof ImgsealError) throw err;
    }
  }
  try {
    return certificatesEntry(path, [new X509Certificate(data)]);
  } catch {
    // fall through
  }
  try {
    createPublicKey({ key: data, format: 'der', type: 'spki' });
  } catch {
    throw new ImgsealError('INVALID_KEY', `unidentified private key in file ${path} (expected a PEM, DER or JWK private key)`);
  }
  throw invalid(path, 'is a public key; decryption needs the private key');
}

function fromPem(block: PemBlock, blocks: PemBlock[], path: string, passwords: PasswordCandidates): DecryptionKey {
  switch (block.label) {
    case 'PRIVATE KEY':
    case 'RSA PRIVATE KEY': {
      const encrypted = /ENCRYPTED/.test(block.headers['Proc-Type'] ?? '');
      return privateKeyEntry(path, decodePem(block, path, encrypted ? passwords : undefined));
    }
    case 'ENCRYPTED PRIVATE KEY':
      return privateKeyEntry(path, decodePem(block, path, passwords));
    case 'EC PRIVATE KEY':
      // ocicrypt ignores SEC1 PEM (only SEC1 DER works); refusing keeps the key
      // file usable with skopeo/ctr-enc as well.
      throw invalid(path, `SEC1 "EC PRIVATE KEY" PEM is not supported (ocicrypt ignores it); convert it with: openssl pkcs8 -topk8 -nocrypt -in ${path} -out key.p8.pem`);
    case 'CERTIFICATE':
      return certificatesEntry(path, certificates(blocks, path));
    case 'PUBLIC KEY':
    case 'RSA PUBLIC KEY':
      throw invalid(path, 'is a public key; decryption needs the private key');
    case 'PGP PRIVATE KEY BLOCK':
      throw invalid(path, `armored OpenPGP keys are not recognised (nor by ocicrypt); use a binary export: gpg --dearmor < ${path} > key.gpg`);
    case 'PGP PUBLIC KEY BLOCK':
      throw invalid(path, 'is an OpenPGP public key; decryption needs the binary secret key (gpg --export-secret-keys KEYID > file)');
    default:
      throw new ImgsealError('INVALID_KEY', `unidentified private key in file ${path} (PEM block "${block.label}")`);
  }
}

function decodePem(block: PemBlock, path: string, passwords: PasswordCandidates | undefined): KeyObject {
  if (passwords === undefined) {
    try {
      return usable(createPrivateKey({ key: block.text, format: 'pem' }), path);
    } catch (err) {
      if (err instanceof ImgsealError) throw err;
      throw invalid(path, `the "${block.label}" PEM block does not parse as a private key`);
    }
  }
  if (passwords.length === 0) {
    throw new ImgsealError('KEY_PASSWORD', `${path}: missing password for encrypted private key (give it as ${path}:pass=…, :file=… or :fd=…)`);
  }
  for (const passphrase of passwords) {
    let key: KeyObject;
    try {
      key = createPrivateKey({ key: block.text, format: 'pem', passphrase });
    } catch {
      continue; // OpenSSL's reason ("bad decrypt") adds nothing for users.
    }
    return usable(key, path);
  }
  throw new ImgsealError('KEY_PASSWORD', `${path}: wrong password: could not decrypt private key`);
}

function fromJwk(jwk: Record<string, unknown>, path: string): KeyObject {
  if (typeof jwk.kty !== 'string') throw new ImgsealError('INVALID_KEY', `unidentified private key in file ${path} (JSON, but not a JWK)`);
  if (jwk.d === undefined) throw invalid(path, 'is a public JWK; decryption needs the private JWK (with "d")');
  if (jwk.kty !== 'RSA' && jwk.kty !== 'EC') throw invalid(path, `JWK kty ${String(jwk.kty)} is not RSA or EC`);
  try {
    return usable(createPrivateKey({ key: jwk as JsonWebKey, format: 'jwk' }), path);
  } catch (err) {
    if (err instanceof ImgsealError) throw err;
    throw invalid(path, 'the JWK is not a valid RSA or EC private key');
  }
}

/** Only RSA and EC P-256/384/521 keys can unwrap anything ocicrypt writes. */
function usable(key: KeyObject, path: string): KeyObject {
  if (!jweKeyFamily(key)) throw invalid(path, `${describeKeyType(key)} keys cannot decrypt image layers; use RSA or EC P-256/P-384/P-521`);
  return key;
}

function certificates(blocks: PemBlock[], path: string): X509Certificate[] {
  try {
    return blocks.filter((b) => b.label === 'CERTIFICATE').map((b) => new X509Certificate(b.text));
  } catch {
    throw invalid(path, 'the CERTIFICATE PEM block does not parse');
  }
}
