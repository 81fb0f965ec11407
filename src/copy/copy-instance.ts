/**
 * Copying one image (one manifest): config, then every layer through its steps (in
 * parallel, bounded), then the rewritten manifest. Shared by single images and by
 * each image of an index.
 */
import { SMALL_BLOB_LIMIT } from '../util/limits.js';
import { Readable, type Transform } from 'node:stream';
import { ImgsealError } from '../errors.js';
import { raceAbort, throwIfAborted } from '../util/abort.js';
import { canonicalDescriptor, type Descriptor } from '../model/descriptor.js';
import { sha256Digest, verifyDigest } from '../model/digest.js';
import { parseImageConfig, type ImageConfig } from '../model/config.js';
import { parseManifest, serializeManifest, type ImageManifest } from '../model/manifest.js';
import { decryptedMediaType, encryptedMediaType, layerCompression, MediaType, ociLayerMediaType } from '../model/media-types.js';
import { formatPlatform, type Platform } from '../model/platform.js';
import { streamToBuffer } from '../util/streams.js';
import type { ImageDestination, ImageSource, ManifestBlob } from '../transports/types.js';
import { transferBlob } from './copy-blob.js';
import { planLayers, type LayerAction } from './layer-plan.js';
import type { BlobAction } from './progress.js';
import type { CopiedLayer, CopyOptions } from './options.js';
import { silentProgress } from './progress.js';
import { decryptTransforms, encryptLayer, openLayer, type LayerEncryption, type OpenedLayer } from '../crypto/layer/index.js';
import { loadZstd } from '../crypto/layer/verify-plaintext.js';
import { withoutEncryptionAnnotations as removeEncryptionAnnotations } from '../crypto/annotations.js';
import type { SignatureLedger } from './signatures.js';
import { reencryptionSteps, rewrapAnnotations, type RecipientChangeLedger } from './recipient-change.js';
import { defaultSchemeContext } from '../crypto/wrap/config.js';
import type { KeySource, SchemeContext } from '../crypto/wrap/types.js';

/** Up to this size a blob costs round trips rather than bandwidth (util/limits.ts). */
export const SMALL_BLOB = SMALL_BLOB_LIMIT;

export interface CopyContext {
  src: ImageSource;
  dest: ImageDestination;
  opts: CopyOptions;
  /** Runs a large blob's transfer under the `jobs` limit. */
  limit: <T>(task: () => Promise<T>) => Promise<T>;
  /** Runs a small blob's transfer (≤ SMALL_BLOB bytes) under a wider limit. */
  smallLimit: <T>(task: () => Promise<T>) => Promise<T>;
  /** Layers shared by several images of an index are processed once (same ciphertext everywhere). */
  blobCache: Map<string, Promise<MovedLayer>>;
  layersOut: CopiedLayer[];
  recipientLedger: RecipientChangeLedger;
  signatures: SignatureLedger;
}

export interface InstanceResult {
  blob: ManifestBlob;
  changed: boolean;
}

export async function copyInstance(
  ctx: CopyContext,
  source: ManifestBlob,
  opts: { process: boolean; platform?: Platform; topLevel: boolean },
): Promise<InstanceResult> {
  verifyDigest(source.bytes, source.digest, `manifest ${source.digest}`);
  const parsed = parseManifest(source.bytes, source.mediaType);
  if (parsed.kind !== 'manifest') throw new ImgsealError('UNSUPPORTED_MEDIA_TYPE', `${source.digest}: nested indexes are not supported`);
  const manifest = parsed.manifest;
  const platformName = formatPlatform(opts.platform);
  const what = `image ${platformName || source.digest.slice(0, 19)}`;
  const { encrypt, decrypt, warn, recipientChange } = ctx.opts;
  const change = recipientChange ? (recipientChange.mode === 'rotate' ? 'reencrypt' : 'rewrap') : undefined;
  const actions = planLayers({ layers: manifest.layers, process: opts.process, encrypt, decrypt: !!decrypt, change, warn, what });
  const encrypting = actions.includes('encrypt');
  const decrypting = actions.includes('decrypt');
  const rekeying = actions.includes('rewrap') || actions.includes('reencrypt');
  if (encrypting || decrypting || rekeying) {
    await ctx.signatures.checkUnchanged(source.digest, encrypting ? 'encrypting' : decrypting ? 'decrypting' : 'changing recipients', ctx.dest.reference);
  }

  if (encrypting && ctx.dest.supportedManifestMediaTypes && !ctx.dest.supportedManifestMediaTypes.includes(MediaType.ociManifest)) {
    throw new ImgsealError('DESTINATION_UNSUPPORTED', `encryption required by the options, but ${ctx.dest.reference.toString()} does not support encryption (it cannot store OCI manifests)`);
  }

  // The config: verified, copied as is (never encrypted), and read when decrypting for
  // diff_ids. Its upload runs beside the layers': for small images it is a third of the
  // round trips.
  const signal = ctx.opts.signal;
  const configBytes = raceAbort(
    ctx.src.getBlob(manifest.config, signal ? { signal } : {}).then((s) => streamToBuffer(s, manifest.config.size)),
    signal,
  ).then((b) => {
    verifyDigest(b, manifest.config.digest, `${what} config`);
    return b;
  });
  configBytes.catch(() => {}); // handled where it is awaited; this keeps a rejection from being "unhandled" meanwhile
  const config: ImageConfig | undefined = decrypting || actions.includes('reencrypt') ? parseImageConfig(await configBytes) : undefined;

  // Unwrap every layer key before any data moves: a missing key fails the copy at once.
  const unwrapped = new Map<number, OpenedLayer>();
  // Likewise the new annotations of rewrapped layers: a refusal writes nothing.
  const rewrapped = new Map<number, Record<string, string>>();
  const keys: KeySource = { ...schemeContext(ctx.opts), keys: decrypt?.keys ?? recipientChange?.keys ?? [] };
  for (const [i, action] of actions.entries()) {
    const layer = manifest.layers[i] as Descriptor;
    if (action === 'decrypt' || action === 'reencrypt') unwrapped.set(i, await openLayer(layer, keys, `decrypting layer ${layer.digest}`));
    if (action === 'rewrap' && recipientChange) rewrapped.set(i, await rewrapAnnotations(layer, recipientChange, keys, ctx.recipientLedger, `${what} layer ${i} (${layer.digest})`));
    if (action === 'rewrap' || action === 'reencrypt') ctx.recipientLedger.changedLayers++;
  }

  // The config is a blob like any other: it takes a slot under the copy's limits.
  const configLimit = manifest.config.size <= SMALL_BLOB ? ctx.smallLimit : ctx.limit;
  const configUpload = configBytes.then((bytes) =>
    configLimit(async () => {
      if (await ctx.dest.tryReuseBlob(manifest.config)) return;
      await ctx.dest.putBlob(Readable.from([bytes]), { digest: manifest.config.digest, size: manifest.config.size, mediaType: manifest.config.mediaType });
    }),
  );
  const layerMoves = manifest.layers.map((layer, i) => {
    const action = actions[i] as LayerAction;
    // A rewrapped layer's annotations may differ per image (per-image keys); its blob is shared.
    const key = action === 'rewrap' ? `copy:${layer.digest}` : `${action}:${layer.digest}`;
    let pending = ctx.blobCache.get(key);
    if (!pending) {
      const limit = layer.size <= SMALL_BLOB ? ctx.smallLimit : ctx.limit;
      pending = limit(() => moveLayer(ctx, layer, i, action === 'rewrap' ? 'copy' : action, unwrapped.get(i), config, what));
      ctx.blobCache.set(key, pending);
    }
    const annotations = rewrapped.get(i);
    return pending.then(({ desc: copied, action: done }) => {
      const d = annotations ? { ...copied, annotations } : copied;
      // What happened: a plain copy the destination already had is a reuse; a rewrap
      // stays a rewrap (its annotations changed) even when the blob was there.
      const reported = action === 'copy' ? done : action;
      ctx.layersOut.push({ platform: platformName || undefined, index: i, action: reported, sourceDigest: layer.digest, digest: d.digest, size: d.size, mediaType: d.mediaType });
      return d;
    });
  });
  // Every transfer settles before we report, so no upload is still running when the
  // destination is closed after a failure.
  const newLayers = (await settleAll([...layerMoves, configUpload])).slice(0, layerMoves.length) as Descriptor[];

  throwIfAborted(signal); // no manifest for a copy the user stopped
  const changed = encrypting || decrypting || rekeying;
  if (!changed) {
    await ctx.dest.putManifest(source, { topLevel: opts.topLevel });
    ctx.signatures.wrote(source, source.digest);
    return { blob: source, changed: false };
  }
  const out: ImageManifest = encrypting ? toOciManifest(manifest) : { ...manifest };
  out.layers = newLayers.map(canonicalDescriptor);
  const bytes = serializeManifest(out);
  const blob: ManifestBlob = { bytes, mediaType: out.mediaType ?? source.mediaType, digest: sha256Digest(bytes) };
  await ctx.dest.putManifest(blob, { topLevel: opts.topLevel });
  ctx.signatures.wrote(blob, source.digest);
  return { blob, changed: true };
}

async function moveLayer(
  ctx: CopyContext,
  layer: Descriptor,
  index: number,
  action: LayerAction,
  unwrapped: OpenedLayer | undefined,
  config: ImageConfig | undefined,
  what: string,
): Promise<MovedLayer> {
  const desc = await moveLayerBytes(ctx, layer, index, action, unwrapped, config, what);
  return { desc: desc === REUSED ? layer : desc, action: desc === REUSED ? 'reuse' : action };
}

/** A layer as written, and what was done to it ('reuse': the destination had it already). */
interface MovedLayer {
  desc: Descriptor;
  action: BlobAction;
}

const REUSED = Symbol('reused');

async function moveLayerBytes(
  ctx: CopyContext,
  layer: Descriptor,
  index: number,
  action: LayerAction,
  unwrapped: OpenedLayer | undefined,
  config: ImageConfig | undefined,
  what: string,
): Promise<Descriptor | typeof REUSED> {
  const progress = ctx.opts.progress ?? silentProgress;
  const label = `${what} layer ${index} (${layer.digest})`;
  const retries = ctx.opts.destinationContext?.retryTimes ?? 3;
  const common = { src: ctx.src, dest: ctx.dest, desc: layer, action, progress, what: label, retries, ...(ctx.opts.signal ? { signal: ctx.opts.signal } : {}) };
  if (action === 'copy') {
    if (await ctx.dest.tryReuseBlob(layer)) {
      progress.blobDone(layer, 'reuse');
      return REUSED;
    }
    const r = await transferBlob({ ...common, steps: () => [], info: { digest: layer.digest, size: layer.size, mediaType: layer.mediaType } });
    return { ...layer, digest: r.digest, size: r.size };
  }
  if (action === 'encrypt') {
    const mediaType = encryptedMediaType(layer.mediaType);
    // A retried transfer encrypts afresh (new key and nonce); the annotations are those
    // of the attempt whose ciphertext was stored.
    let step: LayerEncryption | undefined;
    const steps = (): Transform[] => {
      step = encryptLayer(ctx.opts.encrypt?.recipients ?? [], layer.digest, schemeContext(ctx.opts));
      return [step.transform];
    };
    // CTR keeps the length: the ciphertext is exactly as long as the layer.
    const r = await transferBlob({ ...common, steps, info: { mediaType, size: layer.size } });
    if (!step) throw new ImgsealError('INTERNAL', `${label}: no encryption step ran`);
    const annotations = { ...withoutEncryption(layer.annotations), ...(await step.annotations()) };
    return { ...layer, mediaType, digest: r.digest, size: r.size, annotations };
  }
  if (!unwrapped) throw new ImgsealError('INTERNAL', `${label}: no unwrapped key`);
  if (action === 'reencrypt') {
    const change = ctx.opts.recipientChange;
    if (!change) throw new ImgsealError('INTERNAL', `${label}: re-encryption without recipients`);
    const keys: KeySource = { ...schemeContext(ctx.opts), keys: change.keys ?? [] };
    const { steps, encryption } = await reencryptionSteps(layer, index, unwrapped, config, keys, change, label, ctx.opts.warn);
    const r = await transferBlob({ ...common, steps, info: { mediaType: layer.mediaType, size: layer.size } });
    const step = encryption();
    if (!step) throw new ImgsealError('INTERNAL', `${label}: no encryption step ran`);
    const annotations = { ...withoutEncryption(layer.annotations), ...(await step.annotations()) };
    return { ...layer, digest: r.digest, size: r.size, annotations };
  }
  const mediaType = decryptedMediaType(layer.mediaType);
  const diffId = config?.rootfs?.diff_ids?.[index];
  const compression = layerCompression(ociLayerMediaType(mediaType));
  // An uncompressed layer is its own tar, so its diff_id is the digest the destination
  // must compute: it verifies that before committing, and no step hashes twice.
  const diffIdCheckedByDestination = compression === 'none' && diffId !== undefined;
  if (compression === 'zstd' && diffId !== undefined) await loadZstd();
  const steps = (): Transform[] => decryptTransforms(unwrapped, { diffId, compression, what: label, warn: ctx.opts.warn, diffIdCheckedByDestination });
  const info = { mediaType, size: layer.size, ...(diffIdCheckedByDestination ? { digest: diffId } : {}) };
  const r = await transferBlob({ ...common, steps, info });
  const out: Descriptor = { ...layer, mediaType, digest: r.digest, size: r.size };
  const annotations = removeEncryptionAnnotations(layer.annotations);
  if (annotations) out.annotations = annotations;
  else delete out.annotations;
  return out;
}

function schemeContext(opts: CopyOptions): SchemeContext {
  return { config: opts.schemeConfig ?? defaultSchemeContext().config, ...(opts.signal ? { signal: opts.signal } : {}) };
}

function withoutEncryption(a: Record<string, string> | undefined): Record<string, string> {
  return removeEncryptionAnnotations(a) ?? {};
}

/** Docker schema2 → OCI, as containers/image converts before encrypting (spec §2.2). */
function toOciManifest(m: ImageManifest): ImageManifest {
  if (m.mediaType === MediaType.ociManifest || (m.mediaType === undefined && !String(m.config.mediaType).startsWith('application/vnd.docker'))) {
    return { ...m, mediaType: MediaType.ociManifest };
  }
  const config = { ...m.config, mediaType: m.config.mediaType === MediaType.dockerConfig ? MediaType.ociConfig : m.config.mediaType };
  return { ...m, mediaType: MediaType.ociManifest, config, layers: m.layers.map((l) => ({ ...l, mediaType: ociLayerMediaType(l.mediaType) })) };
}

/** Like Promise.all, but waits for every promise to settle, then throws the first error. */
export async function settleAll(ps: Promise<unknown>[]): Promise<unknown[]> {
  const rs = await Promise.allSettled(ps);
  const failed = rs.find((r): r is PromiseRejectedResult => r.status === 'rejected');
  if (failed) throw failed.reason;
  return rs.map((r) => (r as PromiseFulfilledResult<unknown>).value);
}
