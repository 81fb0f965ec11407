/**
 * Rewrapping a layer: the same blob, new key annotations. Adding recipients unwraps
 * the private options with the given keys and appends, per scheme, one new entry that
 * wraps the very same bytes (spec §7.3, as ctr-enc does); removing recipients drops
 * their entries (spec §7.4) without needing any key. The public options and every
 * untouched entry keep their exact text. Neither changes the layer key: removal is
 * not revocation (that is a re-encryption with a fresh key).
 */
import { appendKeyEntry, decodeKeyEntries, KEYS_ANNOTATION_PREFIX, keysAnnotation, type Annotations } from '../annotations.js';
import { encodeStdBase64 } from '../encoding.js';
import { defaultSchemes, type SchemeRegistry } from '../wrap/registry.js';
import type { KeySource, Recipient, SchemeContext } from '../wrap/types.js';
import { ImgsealError } from '../../errors.js';
import { wrapPrivateOptions } from './encrypt.js';
import { openLayer, type EncryptedLayerDescriptor } from './open.js';

export interface RewrapResult {
  /** The layer's annotations after the change (other annotations kept). */
  annotations: Annotations;
  /** Labels of the recipients removed (as layerinfo shows them). */
  removed: string[];
  /** Sources (what the user wrote) of the removal targets that matched an entry here. */
  matchedTargets: string[];
}

/** Appends entries for `recipients`, wrapping the private options the keys unwrap. */
export async function addLayerRecipients(
  layer: EncryptedLayerDescriptor,
  recipients: readonly Recipient[],
  keys: KeySource,
  what: string,
  schemes: SchemeRegistry = defaultSchemes,
): Promise<RewrapResult> {
  const opened = await openLayer(layer, keys, what, schemes);
  const wrapped = await wrapPrivateOptions(opened.privateOptionsBytes, recipients, keys, schemes);
  const annotations: Annotations = { ...layer.annotations };
  for (const [scheme, blob] of wrapped) annotations[keysAnnotation(scheme)] = appendKeyEntry(annotations[keysAnnotation(scheme)], blob);
  return { annotations, removed: [], matchedTargets: [] };
}

/**
 * Drops the entries of `targets` (Recipients parsed with purpose `match`). Refuses,
 * with LAST_RECIPIENT, to leave a layer without any wrapped key.
 */
export async function removeLayerRecipients(
  layer: EncryptedLayerDescriptor,
  targets: readonly Recipient[],
  ctx: SchemeContext,
  what: string,
  schemes: SchemeRegistry = defaultSchemes,
): Promise<RewrapResult> {
  const annotations: Annotations = { ...layer.annotations };
  const removed: string[] = [];
  const matched = new Set<string>();
  for (const [name, value] of Object.entries(layer.annotations ?? {})) {
    if (!name.startsWith(KEYS_ANNOTATION_PREFIX) || name.length === KEYS_ANNOTATION_PREFIX.length) continue;
    const scheme = name.slice(KEYS_ANNOTATION_PREFIX.length);
    const mine = targets.filter((t) => t.scheme === scheme);
    const impl = schemes.forScheme(scheme);
    if (mine.length === 0 || !impl) continue;
    const parts: string[] = [];
    for (const part of value.split(',')) {
      if (part === '') continue;
      let entry: Uint8Array | undefined = (decodeKeyEntries(part, name)[0] as Uint8Array);
      let changed = false;
      for (const t of mine) {
        if (!entry) break;
        const r = await impl.removeRecipients(scheme, entry, [t], ctx);
        if (r.removed.length === 0) continue;
        matched.add(t.source);
        removed.push(...r.removed);
        entry = r.entry;
        changed = true;
      }
      // An untouched entry keeps its exact text.
      if (!changed) parts.push(part);
      else if (entry) parts.push(encodeStdBase64(entry));
    }
    if (parts.length > 0) annotations[name] = parts.join(',');
    else delete annotations[name];
  }
  if (!Object.keys(annotations).some((k) => k.startsWith(KEYS_ANNOTATION_PREFIX))) {
    throw new ImgsealError('LAST_RECIPIENT', `${what}: removing ${removed.join(', ')} would leave the layer without any recipient; nothing was changed (use rotate to re-encrypt for other recipients)`);
  }
  return { annotations, removed, matchedTargets: [...matched] };
}
