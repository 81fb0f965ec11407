/**
 * Deciding what happens to each layer of one image: copied as is, encrypted, or
 * decrypted. Pure functions of the manifest and the options, so they are easy to test.
 */
import { ImgsealError } from '../errors.js';
import type { Descriptor } from '../model/descriptor.js';
import { isEncryptableLayerMediaType, isEncryptedMediaType } from '../model/media-types.js';
import type { BlobAction } from './progress.js';

export type LayerAction = Extract<BlobAction, 'copy' | 'encrypt' | 'decrypt' | 'rewrap' | 'reencrypt'>;

/**
 * Resolves `--encrypt-layer` indices against `count` layers (containers/image ≥ 5.28
 * rules: i ≥ 0 is layer i, i < 0 is layer count+i; out of range is an error, never a
 * silent wrap-around). Empty = every layer.
 */
export function selectLayers(indices: readonly number[] | undefined, count: number): Set<number> {
  if (!indices || indices.length === 0) return new Set(Array.from({ length: count }, (_, i) => i));
  const out = new Set<number>();
  for (const i of indices) {
    const j = i < 0 ? count + i : i;
    if (!Number.isInteger(i) || j < 0 || j >= count) {
      throw new ImgsealError('LAYER_INDEX_OUT_OF_RANGE', `when choosing layers to encrypt, layer index ${i} out of range (${count} layers exist)`);
    }
    out.add(j);
  }
  return out;
}

export interface PlanInput {
  layers: readonly Descriptor[];
  /** Whether this image is one the options apply to (platform selection). */
  process: boolean;
  encrypt?: { layers?: readonly number[] };
  decrypt?: boolean;
  /** Recipient changes: what happens to each encrypted layer (the others are copied). */
  change?: 'rewrap' | 'reencrypt';
  warn?: (message: string) => void;
  what: string;
}

export function planLayers(input: PlanInput): LayerAction[] {
  const { layers, process } = input;
  if (!process) return layers.map(() => 'copy');
  if (input.encrypt) {
    const selected = selectLayers(input.encrypt.layers, layers.length);
    return layers.map((l, i) => {
      if (!selected.has(i)) return 'copy';
      if (isEncryptedMediaType(l.mediaType)) {
        input.warn?.(`${input.what} layer ${i} (${l.digest}) is already encrypted; copied as is`);
        return 'copy';
      }
      if (!isEncryptableLayerMediaType(l.mediaType)) {
        input.warn?.(`${input.what} layer ${i} has media type ${l.mediaType}, which is not encrypted; copied as is`);
        return 'copy';
      }
      return 'encrypt';
    });
  }
  if (input.change) {
    const change = input.change;
    return layers.map((l) => (isEncryptedMediaType(l.mediaType) ? change : 'copy'));
  }
  if (input.decrypt) return layers.map((l) => (isEncryptedMediaType(l.mediaType) ? 'decrypt' : 'copy'));
  return layers.map(() => 'copy');
}
