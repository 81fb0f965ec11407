/**
 * Encrypting a layer: the stream part is the cipher (AES-256-CTR + HMAC over the
 * ciphertext); once it has ended, `annotations()` wraps the private options for every
 * recipient, one blob per scheme (spec §4), and returns the layer's new encryption
 * annotations.
 */
import { buildEncryptionAnnotations, type Annotations } from '../annotations.js';
import { LayerEncryptor, newLayerSecrets } from '../cipher/layer-cipher.js';
import { privateOptionsFor, publicOptionsFor, serializePrivateOptions, serializePublicOptions } from '../cipher/options.js';
import { recipientsByScheme } from '../wrap/recipients.js';
import { defaultSchemes, type SchemeRegistry } from '../wrap/registry.js';
import type { Recipient, SchemeContext } from '../wrap/types.js';
import { ImgsealError } from '../../errors.js';
import { STEP_HIGH_WATER_MARK } from '../../copy/steps/buffering.js';

export interface LayerEncryption {
  transform: LayerEncryptor;
  /** Valid after the stream ended. */
  annotations(): Promise<Annotations>;
}

/** One blob per scheme: the same private-options bytes wrapped for that scheme's recipients. */
export async function wrapPrivateOptions(
  privateOptions: Uint8Array,
  recipients: readonly Recipient[],
  ctx: SchemeContext,
  schemes: SchemeRegistry = defaultSchemes,
): Promise<Map<string, Uint8Array>> {
  const wrapped = new Map<string, Uint8Array>();
  for (const [scheme, rs] of recipientsByScheme(recipients)) {
    const impl = schemes.forScheme(scheme);
    if (!impl) throw new ImgsealError('INVALID_RECIPIENT', `no key wrapper for scheme ${scheme}`);
    wrapped.set(scheme, await impl.wrap(scheme, privateOptions, rs, ctx));
  }
  if (wrapped.size === 0) throw new ImgsealError('NOTHING_TO_ENCRYPT', 'no wrapped keys produced by encryption');
  return wrapped;
}

/**
 * `plaintextDigest` is recorded in the private options (ocicrypt's `digest`); a
 * function is asked once the stream has ended (for plaintext hashed on the way).
 */
export function encryptLayer(recipients: readonly Recipient[], plaintextDigest: string | (() => string), ctx: SchemeContext, schemes: SchemeRegistry = defaultSchemes): LayerEncryption {
  const secrets = newLayerSecrets();
  const transform = new LayerEncryptor(secrets, { highWaterMark: STEP_HIGH_WATER_MARK });
  return {
    transform,
    async annotations() {
      const priv = serializePrivateOptions(privateOptionsFor(secrets, typeof plaintextDigest === 'function' ? plaintextDigest() : plaintextDigest));
      const pub = serializePublicOptions(publicOptionsFor(transform.hmac));
      return buildEncryptionAnnotations(pub, await wrapPrivateOptions(priv, recipients, ctx, schemes));
    },
  };
}
