/** Walking an image (or index) to its per-platform manifests and configs, for read-only commands. */
import { ImgsealError } from '../errors.js';
import type { Descriptor } from '../model/descriptor.js';
import { parseImageConfig, type ImageConfig } from '../model/config.js';
import { verifyDigest, type Digest } from '../model/digest.js';
import { parseManifest, type ImageIndex, type ImageManifest } from '../model/manifest.js';
import { formatPlatform, platformMatches, type Platform } from '../model/platform.js';
import { getVerifiedManifest } from '../transports/common/verified-manifest.js';
import type { ImageSource } from '../transports/types.js';
import { streamToBuffer } from '../util/streams.js';

export interface ResolvedImage {
  digest: Digest;
  mediaType: string;
  manifest: ImageManifest;
  /** From the index entry, else from the config. */
  platform?: Platform;
  config: ImageConfig;
}

export interface ResolvedTop {
  digest: Digest;
  mediaType: string;
  raw: Buffer;
  index?: ImageIndex;
  images: ResolvedImage[];
}

/** Reads the top-level manifest and every (or every matching) image below it, verified. */
export async function resolveImages(src: ImageSource, platforms?: readonly Platform[]): Promise<ResolvedTop> {
  // What a view shows is verified as a copy would: an edited manifest is refused.
  const top = await getVerifiedManifest(src);
  const parsed = parseManifest(top.bytes, top.mediaType);
  const images: ResolvedImage[] = [];
  const load = async (digest: Digest, mediaType: string, manifest: ImageManifest, platform?: Platform): Promise<void> => {
    const config = await readConfig(src, manifest.config);
    const p = platform ?? (config.os && config.architecture ? { os: config.os, architecture: config.architecture, ...(config.variant ? { variant: config.variant } : {}) } : undefined);
    if (platforms?.length && !platforms.some((want) => platformMatches(want, p))) return;
    images.push({ digest, mediaType, manifest, config, ...(p ? { platform: p } : {}) });
  };
  if (parsed.kind === 'manifest') {
    await load(top.digest, parsed.mediaType, parsed.manifest);
    return { digest: top.digest, mediaType: parsed.mediaType, raw: top.bytes, images };
  }
  for (const d of parsed.index.manifests) {
    const child = await getVerifiedManifest(src, d.digest);
    const cp = parseManifest(child.bytes, d.mediaType);
    if (cp.kind !== 'manifest') continue;
    await load(d.digest, cp.mediaType, cp.manifest, d.platform);
  }
  if (platforms?.length && images.length === 0) {
    throw new ImgsealError('PLATFORM_NOT_FOUND', `no image for platform ${platforms.map(formatPlatform).join(', ')} in the index`);
  }
  return { digest: top.digest, mediaType: parsed.mediaType, raw: top.bytes, index: parsed.index, images };
}

async function readConfig(src: ImageSource, desc: Descriptor): Promise<ImageConfig> {
  const bytes = await streamToBuffer(await src.getBlob(desc), desc.size);
  verifyDigest(bytes, desc.digest, 'image config');
  return parseImageConfig(bytes);
}
