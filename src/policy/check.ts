/**
 * "Would this image be accepted?" without copying it (`imgseal policy check`): reads
 * the manifest (each platform's, for an index) and its signatures, verifies the
 * manifest digests, and evaluates the policy per single-platform image, as a copy does.
 */
import { verifyDigest } from '../model/digest.js';
import { parseManifest } from '../model/manifest.js';
import { formatPlatform } from '../model/platform.js';
import { signaturesOf } from '../transports/capabilities.js';
import type { SystemContext } from '../transports/context.js';
import type { ImageReference, ManifestBlob } from '../transports/types.js';
import type { PolicyContext } from './context.js';
import type { Verdict } from './evaluate.js';

export interface ImageVerdict extends Verdict {
  /** `linux/amd64` for an image of an index; absent for a single image. */
  platform?: string;
  digest: string;
}

export async function checkImagePolicy(ref: ImageReference, policy: PolicyContext, ctx: SystemContext = {}): Promise<ImageVerdict[]> {
  const src = await ref.newImageSource(ctx);
  try {
    const top = await src.getManifest();
    verifyDigest(top.bytes, top.digest, `manifest of ${ref.toString()}`);
    const parsed = parseManifest(top.bytes, top.mediaType);
    const images: { manifest: ManifestBlob; platform?: string }[] = [];
    if (parsed.kind === 'manifest') images.push({ manifest: top });
    else {
      for (const d of parsed.index.manifests) {
        const child = await src.getManifest(d.digest);
        verifyDigest(child.bytes, d.digest, `manifest ${d.digest}`);
        images.push({ manifest: { ...child, mediaType: d.mediaType }, platform: formatPlatform(d.platform) || d.digest });
      }
    }
    const out: ImageVerdict[] = [];
    for (const { manifest, platform } of images) {
      const v = await policy.evaluate({ reference: ref, manifest, untrustedSignatures: await signaturesOf(src, manifest.digest) });
      out.push({ ...v, digest: manifest.digest, ...(platform !== undefined ? { platform } : {}) });
    }
    return out;
  } finally {
    await src.close().catch(() => {});
  }
}
