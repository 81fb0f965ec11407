/** KMS wrapping of key files (IBM Key Protect). */
export { KeyProtectClient, KmsHttpError, parseKeyProtectConfig, loadKeyProtectConfig, ciphertextHandle, DEFAULT_IAM_URL, type KeyProtectConfig, type KeyProtectOptions } from './keyprotect.js';
