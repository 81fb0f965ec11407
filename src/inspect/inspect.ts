/**
 * inspect: skopeo inspect's JSON (Name, Digest, Created, Architecture, Os, Layers,
 * LayersData, Env, Labels) for one image; for an index, the image for the requested
 * (or host) platform plus the list of platforms the index offers. `raw` is the
 * manifest as stored; `config` the image config.
 */
import { ImgsealError } from '../errors.js';
import { formatPlatform, hostPlatform, platformMatches, type Platform } from '../model/platform.js';
import type { SystemContext } from '../transports/context.js';
import { getVerifiedManifest } from '../transports/common/verified-manifest.js';
import type { ImageReference } from '../transports/types.js';
import { resolveImages, type ResolvedImage, type ResolvedTop } from './resolve.js';

export interface InspectResult {
  Name: string;
  Digest: string;
  MediaType: string;
  Created?: string;
  Architecture?: string;
  Os?: string;
  Variant?: string;
  Labels?: Record<string, string> | null;
  Env?: string[] | null;
  Layers: string[];
  LayersData: { MIMEType: string; Digest: string; Size: number; Annotations: Record<string, string> | null }[];
  /** Present when the reference names an index. */
  Platforms?: { Platform: string; Digest: string }[];
}

export async function inspectImage(ref: ImageReference, opts: { platform?: Platform; context?: SystemContext } = {}): Promise<InspectResult> {
  const src = await ref.newImageSource(opts.context ?? {});
  try {
    const top = await resolveImages(src);
    const img = chooseImage(top, opts.platform);
    const cfg = img.config as { created?: string; config?: { Labels?: Record<string, string>; Env?: string[] } };
    const result: InspectResult = {
      Name: ref.toString(),
      Digest: top.digest,
      MediaType: top.mediaType,
      Layers: img.manifest.layers.map((l) => l.digest),
      LayersData: img.manifest.layers.map((l) => ({ MIMEType: l.mediaType, Digest: l.digest, Size: l.size, Annotations: l.annotations ?? null })),
      Labels: cfg.config?.Labels ?? null,
      Env: cfg.config?.Env ?? null,
    };
    if (cfg.created) result.Created = cfg.created;
    if (img.platform) {
      result.Architecture = img.platform.architecture;
      result.Os = img.platform.os;
      if (img.platform.variant) result.Variant = img.platform.variant;
    }
    if (top.index) result.Platforms = top.images.map((i) => ({ Platform: formatPlatform(i.platform), Digest: i.digest }));
    return result;
  } finally {
    await src.close();
  }
}

/** The manifest bytes exactly as stored (for --raw). */
export async function rawManifest(ref: ImageReference, context: SystemContext = {}): Promise<Buffer> {
  const src = await ref.newImageSource(context);
  try {
    // Shown as stored, but only once verified against the digest it is known by.
    return (await getVerifiedManifest(src)).bytes;
  } finally {
    await src.close();
  }
}

/** The image config of the chosen platform (for --config). */
export async function imageConfig(ref: ImageReference, opts: { platform?: Platform; context?: SystemContext } = {}): Promise<unknown> {
  const src = await ref.newImageSource(opts.context ?? {});
  try {
    return chooseImage(await resolveImages(src), opts.platform).config;
  } finally {
    await src.close();
  }
}

/** The image a read-only command describes: the only one, or the index's image for `platform` (default: this machine's). */
function chooseImage(top: ResolvedTop, platform: Platform | undefined): ResolvedImage {
  const want = platform ?? hostPlatform();
  const img = top.index ? top.images.find((i) => platformMatches(want, i.platform)) : top.images[0];
  if (!img) {
    throw new ImgsealError('PLATFORM_NOT_FOUND', `no image for platform ${formatPlatform(want)} in the index (it has: ${top.images.map((i) => formatPlatform(i.platform)).join(', ')}); use --platform`);
  }
  return img;
}
