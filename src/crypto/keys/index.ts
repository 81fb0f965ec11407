/** Loading recipients and decryption keys from what users type, and keygen. */
export { parseRecipient } from './recipient.js';
export { loadDecryptionKey, splitKeySpec, readPassword } from './decryption-key.js';
export { parseDecryptionKeyData, type PasswordCandidates } from './private-key.js';
export { generateKeyPair, writeKeyPair, type KeyGenOptions, type KeyPair, type WriteKeyPairOptions } from './keygen.js';
export { publicKeyFingerprint } from './fingerprint.js';
