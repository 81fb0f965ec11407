/**
 * Step: decrypt a layer. Unwrapping happens before any data moves (so a missing key
 * fails the copy at once); the stream part is the cipher with its HMAC check, then the
 * plaintext checks (private-options digest, diff_id). All checks finish before the
 * destination sees the end of the stream, so unverified plaintext is never committed.
 */
import { STEP_HIGH_WATER_MARK } from './buffering.js';
import type { Transform } from 'node:stream';
import { readEncryptionAnnotations } from '../../crypto/annotations.js';
import { LayerDecryptor } from '../../crypto/cipher/layer-cipher.js';
import { parsePrivateOptions, parsePublicOptions, resolveLayerCipherParams, type PrivateOptions } from '../../crypto/cipher/options.js';
import type { LayerCipherParams } from '../../crypto/cipher/layer-cipher.js';
import { wrapperFor } from '../../crypto/wrap/index.js';
import type { DecryptionKey } from '../../crypto/wrap/types.js';
import { ImgsealError } from '../../errors.js';
import type { Descriptor } from '../../model/descriptor.js';
import { PlaintextVerifier, type PlaintextExpectations } from './verify-plaintext.js';

export interface UnwrappedLayer {
  params: LayerCipherParams;
  privateOptions: PrivateOptions;
}

export const MISSING_KEY_MESSAGE = 'missing private key needed for decryption';

/** Finds a key that unwraps the layer's private options; `what` prefixes errors. */
export async function unwrapLayerKey(layer: Descriptor, keys: readonly DecryptionKey[], what: string): Promise<UnwrappedLayer> {
  const enc = readEncryptionAnnotations(layer.annotations);
  const tried: string[] = [];
  for (const [scheme, entries] of enc.keys) {
    const wrapper = wrapperFor(scheme);
    if (!wrapper) {
      tried.push(`${scheme}: scheme not supported`);
      continue;
    }
    for (const entry of entries) {
      // One malformed entry must not hide a good one after it (Go moves on too).
      let priv: Uint8Array | undefined;
      try {
        priv = await wrapper.unwrap(entry, keys);
      } catch (err) {
        tried.push(`${scheme}: ${(err as Error).message}`);
        continue;
      }
      if (priv) {
        const privateOptions = parsePrivateOptions(priv);
        const params = resolveLayerCipherParams(parsePublicOptions(enc.pubopts), privateOptions);
        return { params, privateOptions };
      }
    }
    tried.push(`${scheme}: ${entries.length} wrapped key${entries.length === 1 ? '' : 's'}, none opened by the ${keys.length} key${keys.length === 1 ? '' : 's'} given`);
  }
  if (enc.keys.size === 0) {
    throw new ImgsealError('INVALID_ENCRYPTION_METADATA', `${what}: the layer is marked encrypted but carries no wrapped keys`);
  }
  const code = keys.length === 0 ? 'MISSING_PRIVATE_KEY' : 'NO_SUITABLE_KEY';
  const detail = keys.length === 0 ? 'no decryption key given' : tried.join('; ');
  throw new ImgsealError(code, `${what}: ${MISSING_KEY_MESSAGE} (${detail})`);
}

export function decryptionSteps(unwrapped: UnwrappedLayer, expect: Omit<PlaintextExpectations, 'privateOptionsDigest'>): Transform[] {
  return [
    new LayerDecryptor(unwrapped.params, { highWaterMark: STEP_HIGH_WATER_MARK }),
    new PlaintextVerifier({ ...expect, privateOptionsDigest: unwrapped.privateOptions.digest }),
  ];
}
