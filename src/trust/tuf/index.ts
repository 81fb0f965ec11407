// Pure TUF verification for Notary v1 / Docker Content Trust: data in, verdict out.
export { canonicalJson } from './canonical-json.js';
export { parseTufPublicKey, tufKeyId, tufKeyObject, type TufPublicKey, type TufKeyType } from './keys.js';
export { signatureValid, verifyRoleSignatures, type UntrustedSignature, type RoleKeys } from './signatures.js';
export { parseRoot, parseTargets, parseSnapshot, parseTimestamp, isValidDelegationName, type RootSigned, type TargetsSigned, type SnapshotSigned, type TimestampSigned, type DelegatedRole, type FileMeta } from './metadata.js';
export { verifyRepository, verifyRootChain, verifyTimestamp, verifySnapshot, verifyTopTargets, verifyDelegation, roleAllows, checkFileMeta, type VerifiedRepository, type VerifiedTargets, type Verified, type SeenVersions, type RepositoryFiles } from './verify.js';
export { resolveTrustedTag, trustedTags, RELEASES_ROLE, type TrustedTarget } from './resolve.js';
