/**
 * The one way the pipeline and the read-only views read a manifest: the bytes must
 * hash to the digest they are shown or used under (the index entry's, the reference's,
 * the parent index's). A source only reads; this check cannot be forgotten by a view.
 */
import { verifyDigest, type Digest } from '../../model/digest.js';
import type { ImageSource, ManifestBlob } from '../types.js';

/** `src.getManifest(instance)`, verified against `instance` (or the digest the source names). */
export async function getVerifiedManifest(src: ImageSource, instance?: Digest): Promise<ManifestBlob> {
  const blob = await src.getManifest(instance);
  const expected = instance ?? blob.digest;
  verifyDigest(blob.bytes, expected, manifestWhat(src.reference.toString(), instance));
  return instance ? { ...blob, digest: instance } : blob;
}

/** How messages name a manifest: the top level by its image, a child by its digest. */
export function manifestWhat(image: string, instance?: Digest): string {
  return instance ? `${image}: manifest ${instance}` : `manifest of ${image}`;
}
