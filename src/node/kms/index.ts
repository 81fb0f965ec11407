/** KMS wrapping of key files: the interface, IBM Key Protect, a PKCS#11 token. */
export { routeUnwrap, wrappedKeyBackend, type Kms, type KmsBackendName, type KeyUnwrapper, type UnwrapHints } from './kms.js';
export { KeyProtectClient, KeyProtectKms, KmsHttpError, parseKeyProtectConfig, loadKeyProtectConfig, ciphertextHandle, DEFAULT_IAM_URL, type KeyProtectConfig, type KeyProtectOptions } from './keyprotect.js';
export { Pkcs11Kms, type Pkcs11KmsOptions } from './pkcs11.js';
export { parsePkcs11KmsConfig, loadPkcs11KmsConfig, normalizeKeyId, type Pkcs11KmsConfig } from './pkcs11-config.js';
export { decodePkcs11Envelope, encodePkcs11Envelope, PKCS11_ENVELOPE_VERSION, type Pkcs11Envelope } from './pkcs11-envelope.js';
