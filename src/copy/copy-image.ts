/**
 * copyImage: the one pipeline. Whatever the transports, an image is read from a
 * source, its blobs pass through the steps the options ask for (verify, decrypt,
 * encrypt, progress), and the destination receives blobs, then manifests, then
 * signatures, then a commit. The source policy judges every image read before the
 * destination is even opened, so a rejected image touches nothing there. Any failure
 * before commit leaves the destination as it was.
 */
import { ImgsealError } from '../errors.js';
import { abortedError, followSignal, throwIfAborted } from '../util/abort.js';
import { canonicalDescriptor, type Descriptor } from '../model/descriptor.js';
import { sha256Digest } from '../model/digest.js';
import { getVerifiedManifest } from '../transports/common/verified-manifest.js';
import { parseManifest, serializeManifest, type ImageIndex } from '../model/manifest.js';
import { MediaType } from '../model/media-types.js';
import { formatPlatform, hostPlatform, platformMatches, type Platform } from '../model/platform.js';
import type { Digest } from '../model/digest.js';
import type { ImageReference, ManifestBlob } from '../transports/types.js';
import type { SystemContext } from '../transports/context.js';
import { copyInstance, settleAll, type CopyContext, type InstanceResult } from './copy-instance.js';
import { blobLimits } from './limit.js';
import type { CopyOptions, CopyResult } from './options.js';
import { checkRecipientChange, newRecipientChangeLedger } from './recipient-change.js';
import { SignatureLedger } from './signatures.js';

export async function copyImage(source: ImageReference, destination: ImageReference, options: CopyOptions = {}): Promise<CopyResult> {
  validateOptions(options);
  throwIfAborted(options.signal);
  const { signal, dispose } = followSignal(options.signal);
  try {
    return await copyWithSignal(source, destination, signal ? { ...options, signal } : options);
  } finally {
    dispose();
  }
}

async function copyWithSignal(source: ImageReference, destination: ImageReference, opts: CopyOptions): Promise<CopyResult> {
  const src = await source.newImageSource(opts.signal ? { ...opts.sourceContext, signal: opts.signal } : (opts.sourceContext ?? {}));
  try {
    // Every byte the copy uses is verified, the manifests included (a source only reads).
    const top = await getVerifiedManifest(src);
    const parsed = parseManifest(top.bytes, top.mediaType);
    const signatures = new SignatureLedger(src, opts);
    // The images this copy reads, judged by the policy before the destination is opened.
    const selection = parsed.kind === 'index' ? chooseInstances(parsed.index, opts) : undefined;
    const children = new Map<Digest, ManifestBlob>();
    if (selection) {
      for (const d of selection.keep) {
        const child = await getVerifiedManifest(src, d.digest);
        children.set(d.digest, { ...child, mediaType: d.mediaType });
      }
    }
    const judged = selection ? [...children.values()] : [top];
    if (opts.policy) {
      for (const manifest of judged) {
        await opts.policy.requireAccepted({ reference: source, manifest, untrustedSignatures: await signatures.sourceSignatures(manifest.digest) }, opts.signal ? { signal: opts.signal } : {});
      }
    }
    throwIfAborted(opts.signal);
    const dest = await destination.newImageDestination(withSignal(opts.destinationContext, opts.signal));
    dest.acceptBlobsFrom?.(source);
    let result: CopyResult;
    try {
      const singleFromIndex = selection !== undefined && !opts.allPlatforms && selection.keep.length === 1;
      await signatures.checkDestination(dest, singleFromIndex ? judged.map((m) => m.digest) : [top.digest, ...(selection ? judged.map((m) => m.digest) : [])]);
      const ctx: CopyContext = {
        src,
        dest,
        opts,
        ...blobLimits(opts.jobs, dest.maxParallelBlobs),
        blobCache: new Map(),
        layersOut: [],
        recipientLedger: newRecipientChangeLedger(),
        signatures,
      };
      let written: ManifestBlob;
      if (parsed.kind === 'manifest') {
        written = (await copyInstance(ctx, top, { process: true, topLevel: true })).blob;
      } else {
        written = await copyIndex(ctx, top, parsed.index, selection as Selection, children);
      }
      if (opts.recipientChange) checkRecipientChange(opts.recipientChange, ctx.recipientLedger);
      throwIfAborted(opts.signal);
      await signatures.store(dest, opts.sign?.identity ?? destination.dockerReference);
      throwIfAborted(opts.signal); // the last moment a stop leaves the destination as it was
      await dest.commit();
      ctx.layersOut.sort((a, b) => (a.platform ?? '').localeCompare(b.platform ?? '') || a.index - b.index);
      result = { digest: written.digest, mediaType: written.mediaType, layers: ctx.layersOut };
    } catch (err) {
      // Cleaning up must not hide why the copy failed.
      await dest.close().catch(() => {});
      throw opts.signal?.aborted ? abortedError(opts.signal) : err;
    }
    await dest.close();
    return result;
  } finally {
    await src.close().catch(() => {});
  }
}

function withSignal(ctx: SystemContext | undefined, signal: AbortSignal | undefined): SystemContext {
  if (!signal) return ctx ?? {};
  return { ...ctx, signal: ctx?.signal ? AbortSignal.any([ctx.signal, signal]) : signal };
}

function validateOptions(opts: CopyOptions): void {
  if (opts.encrypt && opts.decrypt) {
    throw new ImgsealError('INVALID_ARGUMENT', 'encryption and decryption cannot be combined in one copy');
  }
  if (opts.recipientChange && (opts.encrypt || opts.decrypt)) {
    throw new ImgsealError('INVALID_ARGUMENT', 'changing recipients cannot be combined with encryption or decryption in one copy');
  }
  if (opts.recipientChange && opts.recipientChange.recipients.length === 0) {
    throw new ImgsealError('INVALID_ARGUMENT', 'no recipients given -- nothing to do');
  }
  if (opts.encrypt && opts.encrypt.recipients.length === 0) {
    throw new ImgsealError('INVALID_ARGUMENT', 'no recipients given -- nothing to encrypt to');
  }
}

/** Which images of an index are copied, and which of those the crypto options apply to. */
interface Selection {
  keep: Descriptor[];
  process: Set<Descriptor>;
}

function chooseInstances(index: ImageIndex, opts: CopyOptions): Selection {
  const wanted: Platform[] = opts.platforms?.length ? opts.platforms : [opts.sourceContext?.platform ?? hostPlatform()];
  const matching = index.manifests.filter((m) => wanted.some((p) => platformMatches(p, m.platform)));
  if (opts.allPlatforms) {
    return { keep: index.manifests, process: new Set(opts.platforms?.length ? matching : index.manifests) };
  }
  if (matching.length === 0) {
    const have = index.manifests.map((m) => formatPlatform(m.platform) || m.digest).join(', ');
    throw new ImgsealError('PLATFORM_NOT_FOUND', `no image for platform ${wanted.map(formatPlatform).join(', ')} in the index (it has: ${have}); use --platform or --all`);
  }
  // One image per requested platform: the first match, as containerd's matcher does.
  const keep = wanted.map((p) => matching.find((m) => platformMatches(p, m.platform))).filter((m): m is Descriptor => !!m);
  return { keep: [...new Set(keep)], process: new Set(keep) };
}

/** A chosen child manifest, already read and verified before the destination was opened. */
function childOf(children: Map<Digest, ManifestBlob>, d: Descriptor): ManifestBlob {
  const child = children.get(d.digest);
  if (!child) throw new ImgsealError('INTERNAL', `manifest ${d.digest} was not read before the copy`);
  return child;
}

async function copyIndex(ctx: CopyContext, top: ManifestBlob, index: ImageIndex, selection: Selection, children: Map<Digest, ManifestBlob>): Promise<ManifestBlob> {
  const { keep, process } = selection;
  // A single image chosen without --all becomes a plain image at the destination, as with skopeo.
  if (!ctx.opts.allPlatforms && keep.length === 1) {
    const d = keep[0] as Descriptor;
    return (await copyInstance(ctx, childOf(children, d), { process: true, platform: d.platform, topLevel: true })).blob;
  }
  // Every image settles before a failure is reported, so nothing is still writing
  // when the destination discards what it staged.
  const results = (await settleAll(
    keep.map(async (d) => {
      const r = await copyInstance(ctx, childOf(children, d), { process: process.has(d), platform: d.platform, topLevel: false });
      return { d, r };
    }),
  )) as { d: Descriptor; r: InstanceResult }[];
  const changed = keep.length !== index.manifests.length || results.some(({ r }) => r.changed);
  if (!changed) {
    await ctx.dest.putManifest(top, { topLevel: true });
    ctx.signatures.wrote(top, top.digest);
    return top;
  }
  const why = keep.length !== index.manifests.length ? 'copying only some images of the index' : ctx.opts.encrypt ? 'encrypting' : ctx.opts.recipientChange ? 'changing recipients' : 'decrypting';
  await ctx.signatures.checkUnchanged(top.digest, why, ctx.dest.reference);
  const anyOci = results.some(({ r }) => r.changed && r.blob.mediaType === MediaType.ociManifest);
  const out: ImageIndex = { ...index, manifests: results.map(({ d, r }) => canonicalDescriptor({ ...d, mediaType: r.blob.mediaType, digest: r.blob.digest, size: r.blob.bytes.length })) };
  // A Docker manifest list cannot point at OCI manifests: it becomes an OCI index.
  if (anyOci && out.mediaType === MediaType.dockerManifestList) out.mediaType = MediaType.ociIndex;
  const bytes = serializeManifest(out);
  const blob: ManifestBlob = { bytes, mediaType: out.mediaType ?? top.mediaType, digest: sha256Digest(bytes) };
  await ctx.dest.putManifest(blob, { topLevel: true });
  ctx.signatures.wrote(blob, top.digest);
  return blob;
}
