/** Key wrapping: the scheme interface, the registry of schemes, recipients and configuration. */
export { defaultSchemes, forScheme, SchemeRegistry, OCICRYPT_PREFIXES } from './registry.js';
export { parseRecipient, recipientsByScheme } from './recipients.js';
export { loadSchemeConfig, defaultSchemeContext, DEFAULT_SCHEME_TIMEOUT_MS } from './config.js';
export { jweScheme, type JweRecipientMaterial } from './jwe/index.js';
export { pgpScheme } from './pgp/index.js';
export { providerScheme, parseKeyProviderConfig, keyProviderServiceDefinition, KEYPROVIDER_SERVICE } from './provider/index.js';
export { pkcs7Scheme, type Pkcs7RecipientMaterial } from './pkcs7/index.js';
export { pkcs11Scheme, PKCS11_KEY_KIND, type Pkcs11KeyMaterial } from './pkcs11/index.js';
export type {
  DecryptionKey,
  GpgConfig,
  KeyFile,
  KeyProviderConfig,
  KeyScheme,
  KeySource,
  Pkcs11Config,
  Recipient,
  RecipientPurpose,
  RemovalResult,
  SchemeConfig,
  SchemeContext,
  SchemeEnv,
} from './types.js';
