/**
 * The layer actions of `recipients add|remove|rotate` inside the copy pipeline:
 * - `rewrap` (add, remove): the blob is copied byte for byte and only its key
 *   annotations change; they are computed before any data moves, so a missing key or
 *   a refused removal fails with nothing written;
 * - `reencrypt` (rotate): decrypt and verify, then encrypt with a fresh layer key for
 *   exactly the given recipients, in one streaming pass (new blob, same media type).
 */
import { Transform } from 'node:stream';
import { ImgsealError } from '../errors.js';
import type { Annotations } from '../crypto/annotations.js';
import { addLayerRecipients, decryptTransforms, encryptLayer, removeLayerRecipients, type LayerEncryption, type OpenedLayer } from '../crypto/layer/index.js';
import type { KeySource } from '../crypto/wrap/types.js';
import type { Descriptor } from '../model/descriptor.js';
import { Digester } from '../model/digest.js';
import type { ImageConfig } from '../model/config.js';
import { decryptedMediaType, layerCompression, ociLayerMediaType } from '../model/media-types.js';
import { PASS_HIGH_WATER_MARK } from './steps/buffering.js';
import { loadZstd } from '../crypto/layer/verify-plaintext.js';
import type { RecipientChangeOptions } from './options.js';

/** Matches across the whole copy, so that a target found on no layer can be reported before commit. */
export interface RecipientChangeLedger {
  matchedTargets: Set<string>;
  changedLayers: number;
}

export function newRecipientChangeLedger(): RecipientChangeLedger {
  return { matchedTargets: new Set(), changedLayers: 0 };
}

/** The new annotations of a layer that is rewrapped (add or remove). */
export async function rewrapAnnotations(layer: Descriptor, change: RecipientChangeOptions, keys: KeySource, ledger: RecipientChangeLedger, what: string): Promise<Annotations> {
  if (change.mode === 'add') {
    const r = await addLayerRecipients(layer, change.recipients, keys, what);
    return r.annotations;
  }
  if (change.mode !== 'remove') throw new ImgsealError('INTERNAL', `${what}: ${change.mode} is no rewrap`);
  const r = await removeLayerRecipients(layer, change.recipients, keys, what);
  for (const t of r.matchedTargets) ledger.matchedTargets.add(t);
  return r.annotations;
}

/** Fails when the change did nothing anywhere or a removal target was on no layer: nothing is committed then. */
export function checkRecipientChange(change: RecipientChangeOptions, ledger: RecipientChangeLedger): void {
  if (ledger.changedLayers === 0) {
    throw new ImgsealError('NOTHING_TO_ENCRYPT', 'the image has no encrypted layers -- no recipients to change (use encrypt)');
  }
  if (change.mode !== 'remove') return;
  const missing = change.recipients.filter((r) => !ledger.matchedTargets.has(r.source));
  if (missing.length > 0) {
    throw new ImgsealError('RECIPIENT_NOT_FOUND', `${missing.map((r) => r.source).join(', ')}: not a recipient of any layer (or, for entries without a key id, give the private key file); nothing was changed`);
  }
}

/**
 * Steps for a re-encryption, made afresh for each attempt: decrypt + verify, hash the
 * plaintext (recorded in the new private options), encrypt with new secrets.
 */
export async function reencryptionSteps(
  layer: Descriptor,
  index: number,
  opened: OpenedLayer,
  config: ImageConfig | undefined,
  keys: KeySource,
  change: RecipientChangeOptions,
  label: string,
  warn: ((m: string) => void) | undefined,
): Promise<{ steps: () => Transform[]; encryption: () => LayerEncryption | undefined }> {
  const plainType = decryptedMediaType(layer.mediaType);
  const diffId = config?.rootfs?.diff_ids?.[index];
  const compression = layerCompression(ociLayerMediaType(plainType));
  if (compression === 'zstd' && diffId !== undefined) await loadZstd();
  let current: LayerEncryption | undefined;
  const steps = (): Transform[] => {
    const plain = new Digester();
    const tap = new Transform({
      highWaterMark: PASS_HIGH_WATER_MARK,
      transform(chunk: Buffer, _enc, cb) {
        plain.update(chunk);
        cb(null, chunk);
      },
    });
    current = encryptLayer(change.recipients, () => plain.digest(), keys);
    return [...decryptTransforms(opened, { diffId, compression, what: label, warn }), tap, current.transform];
  };
  return { steps, encryption: () => current };
}
