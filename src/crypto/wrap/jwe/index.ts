/** The `jwe` key-wrap scheme (spec §5.1), built on the `jose` package. */
import { keysAnnotation } from '../../annotations.js';
import type { DecryptionKey, KeyWrapper, Recipient } from '../types.js';
import { describeJweRecipients } from './describe.js';
import { unwrapJwe } from './unwrap.js';
import { wrapJwe } from './wrap.js';

export class JweKeyWrapper implements KeyWrapper {
  readonly scheme = 'jwe';
  readonly annotationKey = keysAnnotation('jwe');

  wrap(privateOptions: Uint8Array, recipients: readonly Recipient[]): Promise<Uint8Array> {
    return wrapJwe(privateOptions, recipients);
  }

  unwrap(entry: Uint8Array, keys: readonly DecryptionKey[]): Promise<Uint8Array | undefined> {
    return unwrapJwe(entry, keys);
  }

  describeRecipients(entry: Uint8Array): string[] {
    return describeJweRecipients(entry);
  }
}

export { JWE_CONTENT_ENCRYPTIONS, JWE_ENC, JWE_KEY_ALGORITHMS, jweAlgorithmFor, jweKeyFamily, describeKeyType } from './algorithms.js';
