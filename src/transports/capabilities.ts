/**
 * Shared defaults for what a transport may leave out: the pipeline asks these instead
 * of testing for optional methods in many places, so "this transport cannot" has one
 * meaning everywhere.
 */
import type { Digest } from '../model/digest.js';
import type { ImageDestination, ImageSource, UntrustedSignature } from './types.js';

/** The signatures a source stores for `manifestDigest`; none when it has no signature storage. */
export async function signaturesOf(src: ImageSource, manifestDigest: Digest, opts: { signal?: AbortSignal } = {}): Promise<UntrustedSignature[]> {
  return src.getSignatures ? src.getSignatures(manifestDigest, opts) : [];
}

/** Whether the destination can store signatures at all. */
export function canStoreSignatures(dest: ImageDestination): boolean {
  return typeof dest.putSignatures === 'function';
}
