/**
 * imgseal's public surface. Re-exports only; test/api/surface.test.ts lists every
 * name, so the surface never changes unnoticed.
 */
export { ImgsealError, isImgsealError, type ErrorCode } from './errors.js';
export * from './model/index.js';
export * from './transports/index.js';
export { copyImage, selectLayers, silentProgress, type SourcePolicy, type ManifestSigner, type UntrustedSourceImage, type CopyOptions, type CopyResult, type CopiedLayer, type EncryptOptions, type DecryptOptions, type ProgressSink, type BlobAction } from './copy/index.js';
export {
  parseRecipient,
  loadDecryptionKey,
  generateKeyPair,
  writeKeyPair,
  publicKeyFingerprint,
  forScheme,
  defaultSchemes,
  SchemeRegistry,
  jweScheme,
  pgpScheme,
  providerScheme,
  parseKeyProviderConfig,
  keyProviderServiceDefinition,
  pkcs7Scheme,
  pkcs11Scheme,
  loadSchemeConfig,
  openLayer,
  decryptTransforms,
  encryptLayer,
  addLayerRecipients,
  removeLayerRecipients,
  LayerEncryptor,
  LayerDecryptor,
  newLayerSecrets,
  readEncryptionAnnotations,
  type KeyScheme,
  type KeySource,
  type SchemeConfig,
  type SchemeContext,
  type Recipient,
  type DecryptionKey,
  type OpenedLayer,
  type RewrapResult,
  type KeyGenOptions,
  type KeyPair,
} from './crypto/index.js';
export { inspectImage, layerInfo, rawManifest, imageConfig, type InspectResult, type LayerInfo } from './inspect/index.js';
export { installMemoryPacer, memoryPacerStats, type MemoryPacerOptions, type MemoryPacerStats } from './util/memory-pacer.js';
export {
  decodeLayer,
  parsePayload,
  readKeyDirectory,
  KeySyncAgent,
  SecretApiSource,
  readSecretVolume,
  KeyProtectClient,
  parseKeyProtectConfig,
  KeyProtectKms,
  Pkcs11Kms,
  parsePkcs11KmsConfig,
  routeUnwrap,
  type Kms,
  type Pkcs11KmsConfig,
  type DecodeLayerOptions,
  type DecodeLayerResult,
  type DecoderPayload,
  type KeyDirectory,
  type KeySyncOptions,
  type AuditRecord,
  type SecretRecord,
  type KeyProtectConfig,
} from './node/index.js';
export {
  resolveTrustedImage,
  trustInspect,
  trustSign,
  trustRevoke,
  trustSignerAdd,
  trustSignerRemove,
  trustKeyGenerate,
  trustKeyLoad,
  verifyRepository,
  resolveTrustedTag,
  canonicalJson,
  type TrustOptions,
  type TrustPassphrases,
  type TrustInspection,
  type TrustedTarget,
  type VerifiedRepository,
} from './trust/index.js';
export { VERSION } from './version.js';
export { parsePolicy, loadPolicy, evaluatePolicy, checkImagePolicy, PolicyContext, type Policy, type PolicyRequirement, type Verdict, type ImageVerdict } from './policy/index.js';
export { verifySimpleSignature, gpgManifestSigner, keyFileManifestSigner, type VerifiedSimpleSignature } from './signature/index.js';
export { sigstoreManifestSigner, decryptSigstorePrivateKey, generateSigstoreKeyFiles } from './signature/index.js';
