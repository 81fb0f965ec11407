/**
 * The pkcs11 key-wrap scheme (spec §5.4): each recipient gets the private
 * options RSA-OAEP-encrypted directly (no hybrid step), all recipients of one
 * wrap in one JSON entry. Recipients are a PKCS#11 key file (the public key is
 * read from the token once, when the recipient is loaded, and used in software)
 * or an RSA public key file. Decryption happens on the token.
 */
import { constants, createPublicKey, privateDecrypt, type KeyObject } from 'node:crypto';
import { ImgsealError } from '../../../errors.js';
import { decodePkcs11Blob, encodePkcs11Blob } from './blob.js';
import type { Pkcs11Policy } from './config.js';
import { isPkcs11KeyFileText, parsePkcs11KeyFile, type Pkcs11KeyFile } from './key-file.js';
import { checkOaepCapacity, oaepEncrypt, type OaepHash } from './oaep.js';
import { findKey, tokenDecryptOaep, tokenPublicKey, withTokenSession } from './token.js';

/** The module policy, asked for only when a token is used (so a missing OCICRYPT_CONFIG only matters to PKCS#11 users). */
export type PolicySource = () => Pkcs11Policy;

export interface Pkcs11RecipientKey {
  /** What the user wrote, for messages. */
  source: string;
  publicKey: KeyObject;
  /** The key file's URI without its PIN, when the key came from a token. */
  uri?: string;
}

/** A PKCS#11 private key: a key file plus the module policy it is used under. */
export interface Pkcs11PrivateKey {
  keyFile: Pkcs11KeyFile;
  policy: Pkcs11Policy;
}

/** `pkcs11:FILE`: a PKCS#11 key file (public key read from the token) or an RSA public key file. */
export function loadPkcs11Recipient(data: Buffer, path: string, source: string, policy: PolicySource): Pkcs11RecipientKey {
  const text = data.toString('utf8');
  if (isPkcs11KeyFileText(text)) {
    const keyFile = parsePkcs11KeyFile(text, path, 'INVALID_RECIPIENT');
    const publicKey = withTokenSession(keyFile, policy(), false, (s) => tokenPublicKey(s, findKey(s, 'public')));
    return { source, publicKey, uri: keyFile.uri.redacted };
  }
  let publicKey: KeyObject;
  try {
    publicKey = text.includes('-----BEGIN PUBLIC KEY-----') ? createPublicKey({ key: text, format: 'pem', type: 'spki' }) : createPublicKey({ key: data, format: 'der', type: 'spki' });
  } catch {
    throw new ImgsealError('INVALID_RECIPIENT', `${path}: not a PKCS#11 key file (YAML with pkcs11: uri:) nor a PEM/DER RSA public key`);
  }
  if (publicKey.asymmetricKeyType !== 'rsa') throw new ImgsealError('INVALID_RECIPIENT', `${path}: only RSA keys can be pkcs11 recipients`);
  return { source, publicKey };
}

/** A `--decryption-key` PKCS#11 key file: parsed, its module checked against the policy, and logged in once (a wrong PIN fails here). */
export function loadPkcs11PrivateKey(text: string, path: string, policySource: PolicySource): Pkcs11PrivateKey {
  const keyFile = parsePkcs11KeyFile(text, path, 'INVALID_KEY');
  const policy = policySource();
  withTokenSession(keyFile, policy, true, (s) => findKey(s, 'private'));
  return { keyFile, policy };
}

export function wrapPkcs11(privateOptions: Uint8Array, recipients: readonly Pkcs11RecipientKey[], hash: OaepHash): Uint8Array {
  if (recipients.length === 0) throw new ImgsealError('INTERNAL', 'PKCS#11 wrap called without recipients');
  for (const r of recipients) checkOaepCapacity(r.publicKey, hash, privateOptions.length, r.source);
  return encodePkcs11Blob(recipients.map((r) => ({ ciphertext: oaepEncrypt(r.publicKey, hash, privateOptions), hash })));
}

/**
 * Tries every recipient blob with every key (ocicrypt's order: blobs outer,
 * keys inner; here one token session per key). Software RSA private keys are
 * tried too (ocicrypt only takes token keys), so `pkcs11:pub.pem` recipients
 * open with the matching PEM key. Undefined when nothing opens.
 */
export function unwrapPkcs11(entry: Uint8Array, tokenKeys: readonly Pkcs11PrivateKey[], softwareKeys: readonly KeyObject[] = []): Uint8Array | undefined {
  const recipients = decodePkcs11Blob(entry);
  for (const key of tokenKeys) {
    const out = withTokenSession(key.keyFile, key.policy, true, (s) => {
      const handle = findKey(s, 'private');
      for (const r of recipients) {
        const plain = tokenDecryptOaep(s, handle, r.ciphertext, r.hash);
        if (plain) return plain;
      }
      return undefined;
    });
    if (out) return out;
  }
  for (const key of softwareKeys) {
    if (key.asymmetricKeyType !== 'rsa') continue;
    for (const r of recipients) {
      try {
        return privateDecrypt({ key, padding: constants.RSA_PKCS1_OAEP_PADDING, oaepHash: r.hash }, r.ciphertext);
      } catch {
        // not this key
      }
    }
  }
  return undefined;
}

/** Recipients carry no key id: one `[pkcs11 RSA-OAEP-SHA1]` per recipient; `[pkcs11]` when the entry does not parse. */
export function describePkcs11Recipients(entry: Uint8Array): string[] {
  try {
    const rs = decodePkcs11Blob(entry);
    return rs.length === 0 ? ['[pkcs11]'] : rs.map((r) => `[pkcs11 RSA-OAEP-${r.hash.toUpperCase()}]`);
  } catch {
    return ['[pkcs11]'];
  }
}

/** RSA-OAEP decryption with a token key, one session per call: what the JWE scheme needs to open JWEs addressed to a token's key. */
export function tokenOaepDecrypter(key: Pkcs11PrivateKey): (ciphertext: Buffer, hash: OaepHash) => Buffer | undefined {
  return (ciphertext, hash) => withTokenSession(key.keyFile, key.policy, true, (s) => tokenDecryptOaep(s, findKey(s, 'private'), ciphertext, hash));
}
