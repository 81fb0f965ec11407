import type { DecryptionKey, Recipient, SchemeConfig } from '../crypto/wrap/types.js';
import type { Digest } from '../model/digest.js';
import type { Platform } from '../model/platform.js';
import type { SystemContext } from '../transports/context.js';
import type { ImageReference, ManifestBlob, UntrustedSignature } from '../transports/types.js';
import type { ProgressSink } from './progress.js';

export interface EncryptOptions {
  /** Recipients, already parsed (crypto/wrap parseRecipient). */
  recipients: Recipient[];
  /**
   * Layer indices to encrypt, per image (0 = bottom; negative counts from the top,
   * -1 = topmost). Empty or absent: every layer.
   */
  layers?: number[];
}

/** `recipients add|remove|rotate`: change who can open the encrypted layers. */
export interface RecipientChangeOptions {
  /**
   * add: wrap the layer keys for `recipients` too (same blobs); remove: drop the
   * entries of `recipients` (parsed with purpose `match`; same blobs; not
   * revocation); rotate: decrypt, verify and encrypt with fresh keys for exactly
   * `recipients` (new blobs).
   */
  mode: 'add' | 'remove' | 'rotate';
  recipients: Recipient[];
  /** add, rotate: the keys that open the layers. */
  keys?: DecryptionKey[];
}

export interface DecryptOptions {
  /** Private keys, already loaded (crypto/keys loadDecryptionKey); every key is tried. */
  keys: DecryptionKey[];
}

/** One single-platform image of the source, as the policy judges it. */
export interface UntrustedSourceImage {
  /** The reference the user named (its identity is what signatures are matched against). */
  reference: ImageReference;
  /** The verified manifest bytes of this image (an instance's, for an index). */
  manifest: ManifestBlob;
  /** What the source stores for `manifest.digest`, not yet verified. */
  untrustedSignatures: UntrustedSignature[];
}

/**
 * The source policy (policy.json): asked once per image the copy reads, after the
 * manifest was read and verified and before the destination is opened. Rejects with
 * POLICY_REJECTED (`Source image rejected: …`).
 */
export interface SourcePolicy {
  requireAccepted(image: UntrustedSourceImage, opts?: { signal?: AbortSignal }): Promise<void>;
}

/** Makes a signature of a manifest as written at the destination. */
export interface ManifestSigner {
  /** For messages: `simple signing with key BC83…403D`. */
  readonly description: string;
  /** The kind of signature it makes (default simple-signing), so a destination can refuse early. */
  readonly kind?: UntrustedSignature['kind'];
  sign(manifest: ManifestBlob, dockerReference: string): Promise<UntrustedSignature>;
}

export interface SigningOptions {
  signers: ManifestSigner[];
  /**
   * The identity written into signatures (`--sign-identity`); default: the destination's
   * docker reference (a destination without one needs this).
   */
  identity?: string;
}

export interface CopyOptions {
  /** The source policy; absent: the library evaluates none (the CLI always passes one). */
  policy?: SourcePolicy;
  /** Do not copy the source's signatures (skopeo --remove-signatures). */
  removeSignatures?: boolean;
  /** Sign what is written (skopeo --sign-by). */
  sign?: SigningOptions;
  encrypt?: EncryptOptions;
  decrypt?: DecryptOptions;
  /** Change the recipients of the encrypted layers (not with encrypt/decrypt). */
  recipientChange?: RecipientChangeOptions;
  /** Key-wrap scheme configuration (crypto/wrap loadSchemeConfig); default: none, empty environment. */
  schemeConfig?: SchemeConfig;
  /**
   * For an index: the platforms to process (and keep). Without `allPlatforms` only
   * these images are copied; with it, every image is copied and only these are
   * encrypted or decrypted (the others stay untouched).
   */
  platforms?: Platform[];
  /** For an index: copy every image of it. */
  allPlatforms?: boolean;
  /** Blobs moved at once (default: the destination's limit, at most 6). */
  jobs?: number;
  progress?: ProgressSink;
  /** Warnings for the user (never secrets). */
  warn?: (message: string) => void;
  sourceContext?: SystemContext;
  destinationContext?: SystemContext;
  signal?: AbortSignal;
}

export interface CopiedLayer {
  platform?: string;
  index: number;
  action: 'copy' | 'encrypt' | 'decrypt' | 'rewrap' | 'reencrypt' | 'reuse';
  sourceDigest: Digest;
  digest: Digest;
  size: number;
  mediaType: string;
}

export interface CopyResult {
  /** Digest and media type of the manifest or index written at the destination. */
  digest: Digest;
  mediaType: string;
  layers: CopiedLayer[];
}
