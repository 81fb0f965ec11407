/**
 * layerinfo: what `ctr-enc images layerinfo` shows, as data — per layer its index,
 * digest, platform, size, encryption schemes and recipients — read from the manifest
 * annotations only (no key needed, no layer data read).
 */
import { encryptionSchemes, readEncryptionAnnotations } from '../crypto/annotations.js';
import { forScheme } from '../crypto/wrap/registry.js';
import type { Digest } from '../model/digest.js';
import { isEncryptedMediaType } from '../model/media-types.js';
import { formatPlatform, type Platform } from '../model/platform.js';
import type { SystemContext } from '../transports/context.js';
import type { ImageReference } from '../transports/types.js';
import { resolveImages } from './resolve.js';

export interface LayerInfo {
  index: number;
  digest: Digest;
  platform: string;
  size: number;
  mediaType: string;
  encrypted: boolean;
  /** Scheme names with a keys annotation, sorted (`jwe`, `pkcs7`, …). */
  encryption: string[];
  /** One entry per recipient where the scheme lets us tell them apart. */
  recipients: string[];
}

export async function layerInfo(ref: ImageReference, opts: { platforms?: Platform[]; context?: SystemContext } = {}): Promise<LayerInfo[]> {
  const src = await ref.newImageSource(opts.context ?? {});
  try {
    const top = await resolveImages(src, opts.platforms);
    const out: LayerInfo[] = [];
    for (const img of top.images) {
      for (const [index, l] of img.manifest.layers.entries()) {
        const encryption = encryptionSchemes(l.annotations);
        const recipients: string[] = [];
        if (encryption.length > 0) {
          for (const [scheme, entries] of readEncryptionAnnotations(l.annotations).keys) {
            const impl = forScheme(scheme);
            for (const e of entries) recipients.push(...(impl ? await impl.describe(scheme, e) : [`[${scheme}]`]));
          }
        }
        out.push({
          index,
          digest: l.digest,
          platform: formatPlatform(img.platform),
          size: l.size,
          mediaType: l.mediaType,
          encrypted: isEncryptedMediaType(l.mediaType),
          encryption,
          recipients: [...new Set(recipients)].sort(),
        });
      }
    }
    return out;
  } finally {
    await src.close();
  }
}
