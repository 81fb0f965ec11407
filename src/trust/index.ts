// Docker Content Trust (Notary v1): the library surface. tuf/ verifies (pure), client/
// fetches and publishes, store/ is the local trust directory.
export { resolveTrustedImage, trustInspect, trustSign, trustRevoke, trustSignerAdd, trustSignerRemove, trustKeyGenerate, trustKeyLoad, gunOf, trustServerFor, type TrustOptions, type TrustSignResult } from './content-trust.js';
export type { TrustPassphrases } from './client/signing-keys.js';
export { inspectTrust, formatTrustPretty, type TrustInspection } from './inspect.js';
export { verifyRepository, resolveTrustedTag, canonicalJson, type TrustedTarget, type VerifiedRepository } from './tuf/index.js';
