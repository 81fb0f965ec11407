/**
 * Opening an encrypted layer from its descriptor: find a scheme entry that one of the
 * available keys unwraps (spec §4: schemes in annotation order, entries left to
 * right, the first that unwraps wins), then parse and check the private and public
 * options. No layer data is read: a missing key fails before anything moves.
 */
import { readEncryptionAnnotations, type Annotations } from '../annotations.js';
import type { LayerCipherParams } from '../cipher/layer-cipher.js';
import { parsePrivateOptions, parsePublicOptions, resolveLayerCipherParams, type PrivateOptions } from '../cipher/options.js';
import { defaultSchemes, type SchemeRegistry } from '../wrap/registry.js';
import type { KeySource } from '../wrap/types.js';
import { ImgsealError } from '../../errors.js';

/** What of a layer descriptor the crypto needs. */
export interface EncryptedLayerDescriptor {
  mediaType: string;
  annotations?: Annotations;
}

export interface OpenedLayer {
  params: LayerCipherParams;
  privateOptions: PrivateOptions;
  /** The private-options bytes exactly as wrapped (a rewrap wraps these again, unchanged). */
  privateOptionsBytes: Uint8Array;
  /** The annotation scheme whose entry opened it. */
  scheme: string;
}

export const MISSING_KEY_MESSAGE = 'missing private key needed for decryption';

/** Finds a key that unwraps the layer's private options; `what` prefixes errors. */
export async function openLayer(layer: EncryptedLayerDescriptor, keys: KeySource, what: string, schemes: SchemeRegistry = defaultSchemes): Promise<OpenedLayer> {
  const enc = readEncryptionAnnotations(layer.annotations);
  const tried: string[] = [];
  let failures = false; // an entry or provider reported an error worth showing even without keys
  for (const [scheme, entries] of enc.keys) {
    const impl = schemes.forScheme(scheme);
    if (!impl) {
      tried.push(`${scheme}: scheme not supported`);
      continue;
    }
    for (const entry of entries) {
      // One malformed entry must not hide a good one after it (Go moves on too).
      let priv: Uint8Array | undefined;
      try {
        priv = await impl.unwrap(scheme, entry, keys);
      } catch (err) {
        tried.push(`${scheme}: ${(err as Error).message}`);
        failures = true;
        continue;
      }
      if (priv) {
        const privateOptions = parsePrivateOptions(priv);
        const params = resolveLayerCipherParams(parsePublicOptions(enc.pubopts), privateOptions);
        return { params, privateOptions, privateOptionsBytes: priv, scheme };
      }
    }
    tried.push(`${scheme}: ${entries.length} wrapped key${entries.length === 1 ? '' : 's'}, none opened by the ${keys.keys.length} key${keys.keys.length === 1 ? '' : 's'} given`);
  }
  if (enc.keys.size === 0) {
    throw new ImgsealError('INVALID_ENCRYPTION_METADATA', `${what}: the layer is marked encrypted but carries no wrapped keys`);
  }
  const code = keys.keys.length === 0 ? 'MISSING_PRIVATE_KEY' : 'NO_SUITABLE_KEY';
  const detail = keys.keys.length === 0 && !failures ? 'no decryption key given' : tried.join('; ');
  throw new ImgsealError(code, `${what}: ${MISSING_KEY_MESSAGE} (${detail})`);
}
