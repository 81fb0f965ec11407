/** The `jwe` key-wrap scheme (spec §5.1), built on the `jose` package. */
import type { KeyScheme } from '../types.js';
import { describeJweRecipients } from './describe.js';
import { parseJweRecipient } from './recipient.js';
import { removeJweRecipients } from './remove.js';
import { unwrapJwe } from './unwrap.js';
import { wrapJwe } from './wrap.js';

/**
 * Uses the shared `private-key` material (crypto/keys) for unwrapping, so it claims
 * no key files of its own.
 */
export const jweScheme: KeyScheme = {
  prefix: 'jwe',
  handles: (scheme) => scheme === 'jwe',
  parseRecipient: (value, ctx) => parseJweRecipient(value, ctx.purpose),
  wrap: (_scheme, privateOptions, recipients) => wrapJwe(privateOptions, recipients),
  unwrap: (_scheme, entry, keys) => unwrapJwe(entry, keys.keys),
  describe: async (_scheme, entry) => describeJweRecipients(entry),
  removeRecipients: (_scheme, entry, targets) => removeJweRecipients(entry, targets),
};

export { JWE_CONTENT_ENCRYPTIONS, JWE_ENC, JWE_KEY_ALGORITHMS, jweAlgorithmFor, jweKeyFamily, describeKeyType } from './algorithms.js';
export type { JweRecipientMaterial } from './recipient.js';
