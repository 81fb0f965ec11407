/**
 * The transforms that decrypt an opened layer and verify the plaintext before the
 * stream ends: [ciphertext digest] → cipher with its HMAC check → plaintext checks
 * (private-options digest, diff_id). Every check decides in _flush, so a consumer
 * that commits only after a clean end never releases unverified plaintext.
 */
import type { Transform } from 'node:stream';
import type { ChunkStep } from '../../copy/steps/chunk-step.js';
import { LayerDecryptor } from '../cipher/layer-cipher.js';
import { STEP_HIGH_WATER_MARK } from '../../copy/steps/buffering.js';
import { DigestVerifier } from '../../copy/steps/verify-digest.js';
import { PlaintextVerifier, type PlaintextExpectations } from './verify-plaintext.js';
import type { Digest } from '../../model/digest.js';
import type { OpenedLayer } from './open.js';

export interface DecryptExpectations extends Omit<PlaintextExpectations, 'privateOptionsDigest'> {
  /**
   * Also verify the ciphertext against the descriptor (digest and size). Leave unset
   * when the caller checks it already (the copy pipeline does, once, for every blob).
   */
  ciphertext?: { digest: Digest; size?: number };
}

export function decryptTransforms(opened: OpenedLayer, expect: DecryptExpectations): (Transform & ChunkStep)[] {
  const { ciphertext, ...plain } = expect;
  return [
    ...(ciphertext ? [new DigestVerifier(ciphertext.digest, ciphertext.size, expect.what)] : []),
    new LayerDecryptor(opened.params, { highWaterMark: STEP_HIGH_WATER_MARK }),
    new PlaintextVerifier({ ...plain, privateOptionsDigest: opened.privateOptions.digest }),
  ];
}
