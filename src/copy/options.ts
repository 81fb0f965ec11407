import type { DecryptionKey, Recipient } from '../crypto/wrap/types.js';
import type { Digest } from '../model/digest.js';
import type { Platform } from '../model/platform.js';
import type { SystemContext } from '../transports/context.js';
import type { ProgressSink } from './progress.js';

export interface EncryptOptions {
  /** Recipients, already loaded (crypto/keys parseRecipient). */
  recipients: Recipient[];
  /**
   * Layer indices to encrypt, per image (0 = bottom; negative counts from the top,
   * -1 = topmost). Empty or absent: every layer.
   */
  layers?: number[];
}

export interface DecryptOptions {
  /** Private keys, already loaded (crypto/keys loadDecryptionKey); every key is tried. */
  keys: DecryptionKey[];
}

export interface CopyOptions {
  encrypt?: EncryptOptions;
  decrypt?: DecryptOptions;
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
  action: 'copy' | 'encrypt' | 'decrypt' | 'reuse';
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
