/** KMS wrapping of key files: the interface, IBM Key Protect, a PKCS#11 token. */
export { routeUnwrap, wrappedKeyBackend, type Kms, type KmsBackendName, type KeyUnwrapper, type UnwrapHints } from './kms.js';
export { KeyProtectClient, KeyProtectKms, KmsHttpError, parseKeyProtectConfig, loadKeyProtectConfig, ciphertextHandle, DEFAULT_IAM_URL, type KeyProtectConfig, type KeyProtectOptions } from './keyprotect.js';
