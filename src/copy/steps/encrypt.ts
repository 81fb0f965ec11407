/**
 * Step: encrypt a layer. The stream part is the cipher (AES-256-CTR + HMAC over the
 * ciphertext); once it has ended, `annotations()` wraps the private options for every
 * recipient, one blob per scheme, and returns the layer's new encryption annotations.
 */
import { STEP_HIGH_WATER_MARK } from './buffering.js';
import { buildEncryptionAnnotations, type Annotations } from '../../crypto/annotations.js';
import { LayerEncryptor, newLayerSecrets } from '../../crypto/cipher/layer-cipher.js';
import { privateOptionsFor, publicOptionsFor, serializePrivateOptions, serializePublicOptions } from '../../crypto/cipher/options.js';
import { wrapperFor } from '../../crypto/wrap/index.js';
import type { Recipient } from '../../crypto/wrap/types.js';
import { ImgsealError } from '../../errors.js';
import type { Digest } from '../../model/digest.js';

export interface EncryptionStep {
  transform: LayerEncryptor;
  /** Valid after the stream ended. */
  annotations(): Promise<Annotations>;
}

export function encryptionStep(recipients: readonly Recipient[], plaintextDigest: Digest): EncryptionStep {
  const secrets = newLayerSecrets();
  const transform = new LayerEncryptor(secrets, { highWaterMark: STEP_HIGH_WATER_MARK });
  return {
    transform,
    async annotations() {
      const priv = serializePrivateOptions(privateOptionsFor(secrets, plaintextDigest));
      const pub = serializePublicOptions(publicOptionsFor(transform.hmac));
      const byScheme = new Map<string, Recipient[]>();
      for (const r of recipients) byScheme.set(r.scheme, [...(byScheme.get(r.scheme) ?? []), r]);
      const wrapped = new Map<string, Uint8Array>();
      for (const [scheme, rs] of byScheme) {
        const wrapper = wrapperFor(scheme);
        if (!wrapper) throw new ImgsealError('INVALID_RECIPIENT', `no key wrapper for scheme ${scheme}`);
        wrapped.set(scheme, await wrapper.wrap(priv, rs));
      }
      if (wrapped.size === 0) throw new ImgsealError('NOTHING_TO_ENCRYPT', 'no wrapped keys produced by encryption');
      return buildEncryptionAnnotations(pub, wrapped);
    },
  };
}
