/** Simple signing, stored signature formats, registries.d and the lookaside store. */
export { verifySimpleSignature, readPublicKeys, requireDigestMatches, type VerifiedSimpleSignature } from './simple-signing.js';
export { gpgManifestSigner, keyFileManifestSigner, gpgSign, openpgpSign, readSigningKey, readPassphraseFile } from './sign.js';
export { parsePayload, serializePayload, type SignaturePayload } from './payload.js';
export { parseStoredSignature, serializeStoredSignature } from './storage-format.js';
export { loadRegistriesDir, signatureStorageFor } from './registries-d.js';
export { readLookaside, writeLookaside, lookasideUrl } from './lookaside.js';
export { decryptSigstorePrivateKey, encryptSigstorePrivateKey, generateSigstoreKeyFiles, publicKeyPem } from './sigstore-key.js';
export { sigstoreManifestSigner, makeSigstoreSignature } from './sigstore-sign.js';
