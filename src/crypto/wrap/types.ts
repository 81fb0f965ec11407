/**
 * Key-wrap schemes: each protects a layer's private options (the symmetric key,
 * nonce and plaintext digest, spec §3.6) for a set of recipients and stores the
 * result in annotation `org.opencontainers.image.enc.keys.<scheme>`. Adding a scheme
 * (PKCS#7, OpenPGP, PKCS#11, key provider) means adding a folder that implements
 * KeyWrapper; nothing else changes.
 */
import type { KeyObject, X509Certificate } from 'node:crypto';

/** A recipient given with `--encryption-key SCHEME:VALUE`, already loaded. */
export interface Recipient {
  scheme: string;
  /** What the user wrote, for messages. */
  source: string;
  /** For jwe: the public key; `alg` from a JWK if it had one. */
  publicKey?: KeyObject;
  jwkAlg?: string;
  jwkKid?: string;
  /** RFC 7638 SHA-256 JWK thumbprint (base64url) of publicKey; jwe writes it as `kid`. */
  fingerprint?: string;
}

/** Private key material given with `--decryption-key FILE[:PASSWORD]`, already loaded. */
export interface DecryptionKey {
  /** Path (or description) it came from; never the key itself. */
  source: string;
  /** An asymmetric private key (RSA or EC), usable by JWE, PKCS#7, PKCS#11-in-software. */
  privateKey?: KeyObject;
  /** X.509 certificates from the file (PKCS#7 needs the recipient certificate next to the key). */
  certificates?: X509Certificate[];
  /** A binary OpenPGP secret keyring (`gpg --export-secret-keys`), for the pgp scheme. */
  openpgpSecretKeys?: Uint8Array;
}

export interface KeyWrapper {
  /** Scheme name as ocicrypt calls it: `jwe`, `pkcs7`, `pgp`, `pkcs11`, `provider.<name>`. */
  readonly scheme: string;
  /** Annotation key holding this scheme's wrapped keys. */
  readonly annotationKey: string;
  /** Wraps `privateOptions` once for all `recipients` (one blob; spec §4). */
  wrap(privateOptions: Uint8Array, recipients: readonly Recipient[]): Promise<Uint8Array>;
  /**
   * Tries to unwrap one annotation entry (already base64-decoded) with each key.
   * Returns the private-options bytes, or undefined when no key fits.
   * Throws INVALID_ENCRYPTION_METADATA when the entry itself is malformed; like
   * Go, callers should record that and go on to the next entry/scheme.
   */
  unwrap(entry: Uint8Array, keys: readonly DecryptionKey[]): Promise<Uint8Array | undefined>;
  /** Recipient strings for layerinfo (`[jwe]`, `0x7c9f…`, key fingerprints where possible). */
  describeRecipients(entry: Uint8Array): string[];
}
