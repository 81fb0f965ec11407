/** Loading decryption keys from what users type, the shared key materials, and keygen. */
/** Also here (where it lived before the scheme interface), for callers that import it from keys. */
export { parseRecipient } from '../wrap/recipients.js';
export { loadDecryptionKey, loadKeyData, splitKeySpec, readPassword } from './decryption-key.js';
export { parseDecryptionKeyData, type PasswordCandidates } from './private-key.js';
export {
  PRIVATE_KEY_KIND,
  CERTIFICATES_KIND,
  OPENPGP_SECRET_KEYS_KIND,
  privateKeyEntry,
  certificatesEntry,
  privateKeyOf,
  certificatesOf,
  type PrivateKeyMaterial,
  type CertificatesMaterial,
  type OpenpgpSecretKeysMaterial,
} from './material.js';
export { generateKeyPair, writeKeyPair, type KeyGenOptions, type KeyPair, type WriteKeyPairOptions } from './keygen.js';
export { publicKeyFingerprint } from './fingerprint.js';
