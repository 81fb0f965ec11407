/**
 * One error type for the whole library. Every failure a user can cause or meet
 * carries a stable string `code` (scripts and the CLI switch on it, never on the
 * message) and, where there was one, the underlying `cause`.
 *
 * The CLI maps codes to exit codes in one place (cli/exit-codes.ts); library
 * code never calls process.exit.
 */

/** Codes of the image model and transports. */
export type ImageErrorCode =
  | 'INVALID_REFERENCE' // an image name that does not parse
  | 'UNKNOWN_TRANSPORT' // `foo:` where foo is no transport we know
  | 'IMAGE_NOT_FOUND' // no image at that reference (ref name, tag, digest)
  | 'AMBIGUOUS_IMAGE' // oci:PATH without REF and several images in the layout
  | 'BLOB_NOT_FOUND'
  | 'MANIFEST_INVALID' // manifest/index/config JSON that is not what it claims
  | 'UNSUPPORTED_MEDIA_TYPE'
  | 'DIGEST_MISMATCH' // content does not hash to the digest that names it
  | 'SIZE_MISMATCH'
  | 'PLATFORM_NOT_FOUND'
  | 'DESTINATION_UNSUPPORTED'; // the destination cannot hold what the copy produces

/** Codes of layer encryption and key handling. */
export type CryptoErrorCode =
  | 'MISSING_PRIVATE_KEY' // encrypted layer, no key of a matching scheme given
  | 'NO_SUITABLE_KEY' // keys given, none unwraps
  | 'INVALID_KEY' // a key file that cannot be used as asked
  | 'KEY_PASSWORD' // missing or wrong password for an encrypted private key
  | 'INVALID_RECIPIENT' // `--encryption-key` that does not parse
  | 'INVALID_ENCRYPTION_METADATA' // bad pubopts/privopts/annotation
  | 'HMAC_MISMATCH' // ciphertext was changed
  | 'PLAINTEXT_DIGEST_MISMATCH' // decrypted bytes are not what the image says they are
  | 'DIFF_ID_MISMATCH'
  | 'LAYER_INDEX_OUT_OF_RANGE'
  | 'NOTHING_TO_ENCRYPT'
  | 'PKCS11_MODULE_NOT_ALLOWED' // no OCICRYPT_CONFIG policy, or the module is not on its allow-list
  | 'PKCS11_PIN_INCORRECT' // the token refused the PIN of a pkcs11 key file
  | 'PKCS11_ERROR' // the PKCS#11 module or token failed (no token, no key object, mechanism refused)
  | 'LAST_RECIPIENT' // removing recipients would leave a layer that nobody can open
  | 'RECIPIENT_NOT_FOUND' // a recipient to remove is on no layer
  | 'KEY_PROVIDER_ERROR'; // a key provider failed, timed out or answered something that is not the protocol

/** Codes of network transports. */
export type RegistryErrorCode =
  | 'REGISTRY_ERROR' // the registry answered with an error we could not recover from
  | 'UNAUTHORIZED' // credentials missing or wrong
  | 'DENIED'
  | 'TLS_ERROR'
  | 'NETWORK_ERROR'
  | 'TOO_MANY_REQUESTS';

/** Codes of Docker Content Trust (Notary v1 / TUF). */
export type TrustErrorCode =
  | 'TRUST_DATA_MISSING' // the trust server has no trust data for the repository
  | 'TRUST_TARGET_NOT_FOUND' // trust data exists, but not for this tag
  | 'TRUST_METADATA_INVALID' // metadata that does not parse or is not consistent
  | 'TRUST_SIGNATURE_INVALID' // a role's signatures do not meet its keys and threshold
  | 'TRUST_ROOT_UNTRUSTED' // no usable root key, or a root that differs from the trusted one
  | 'TRUST_EXPIRED' // metadata past its expiry (freeze attack or neglect)
  | 'TRUST_ROLLBACK' // metadata older than what was seen before
  | 'TRUST_HASH_MISMATCH' // a file that does not match the hash its parent lists
  | 'TRUST_SCOPE_VIOLATION' // a delegation signing outside its paths
  | 'TRUST_MIGRATION_INCOMPLETE'; // trust migrate could not verify or sign every tag

/** Codes of the node side: the containerd decoder, key sync and KMS wrapping. */
export type NodeErrorCode =
  | 'DECODER_PAYLOAD' // containerd's unpack payload (fd 3) missing or malformed
  | 'KEY_SYNC' // a Secret or key directory the key-sync agent cannot use
  | 'KMS_ERROR'; // the KMS refused or failed a wrap/unwrap

/** Codes of signing and signature policy (policy.json, registries.d, simple signing, sigstore). */
export type SignatureErrorCode =
  | 'POLICY_REJECTED' // the source image does not satisfy the policy: `Source image rejected: …`
  | 'POLICY_INVALID' // policy.json that does not parse strictly (names the field and the file)
  | 'REGISTRIES_D_INVALID' // a registries.d YAML file that does not parse strictly
  | 'SIGNATURE_INVALID' // a signature that does not verify (standalone-verify)
  | 'SIGNING_FAILED' // a signature could not be made (key, passphrase, gpg)
  | 'SIGNATURES_NOT_SUPPORTED'; // signatures would be lost or invalidated (use --remove-signatures)

export type GeneralErrorCode =
  | 'INVALID_ARGUMENT' // a flag value or option that makes no sense
  | 'INVALID_CONFIG' // a configuration file a user wrote (e.g. OCICRYPT_KEYPROVIDER_CONFIG) that does not parse
  | 'IO_ERROR'
  | 'ABORTED'
  | 'UNFINISHED' // the process ran out of work with the operation still pending (a bug): never exit 0 then
  | 'LOCK_TIMEOUT' // another live process held a lock on what we write for too long
  | 'TIMEOUT' // a remote peer did not answer in time
  | 'INTERNAL';

export type ErrorCode = ImageErrorCode | CryptoErrorCode | RegistryErrorCode | TrustErrorCode | NodeErrorCode | SignatureErrorCode | GeneralErrorCode;

export class ImgsealError extends Error {
  override readonly name = 'ImgsealError';
  readonly code: ErrorCode;

  constructor(code: ErrorCode, message: string, options?: { cause?: unknown }) {
    super(message, options);
    this.code = code;
  }
}

/** True when `err` is an ImgsealError, optionally of one of `codes`. */
export function isImgsealError(err: unknown, ...codes: ErrorCode[]): err is ImgsealError {
  return err instanceof ImgsealError && (codes.length === 0 || codes.includes(err.code));
}

/** Wraps an unknown thrown value so callers always see an ImgsealError. */
export function asImgsealError(err: unknown, code: ErrorCode = 'INTERNAL', context?: string): ImgsealError {
  if (err instanceof ImgsealError) return err;
  const msg = err instanceof Error ? err.message : String(err);
  return new ImgsealError(code, context ? `${context}: ${msg}` : msg, { cause: err });
}
