/**
 * The KMS interface every back end implements (IBM Key Protect over REST, a wrapping
 * key on a PKCS#11 token), and the routing of a wrapped key to the back end that made
 * it. A wrapped key is one printable string, the value of a `kp-key` Secret entry:
 * each back end's format says which back end it is (see `wrappedKeyBackend`), so an
 * unwrap needs no flag naming the back end.
 */
import { ImgsealError } from '../../errors.js';

export type KmsBackendName = 'keyprotect' | 'pkcs11';

/** What a caller may know beyond the wrapped key itself (a kp-key Secret's `rootkeyid`). */
export interface UnwrapHints {
  /** Key Protect: the root key, when the ciphertext does not name it (rotated keys). */
  rootKeyId?: string;
}

export interface Kms {
  readonly backend: KmsBackendName;
  /** A key file → the wrapped key (printable, ready for a kp-key Secret). */
  wrap(keyFile: Uint8Array): Promise<string>;
  /** A wrapped key this back end made → the key file. */
  unwrap(wrapped: string, hints?: UnwrapHints): Promise<Buffer>;
}

/** The unwrap half, which is all key sync needs. */
export type KeyUnwrapper = Pick<Kms, 'unwrap'>;

/** The `kms` field of an imgseal-made envelope (base64 of JSON), e.g. `{"kms":"pkcs11",...}`. */
function envelopeKms(wrapped: string): string | undefined {
  const text = wrapped.trim();
  if (!/^[A-Za-z0-9+/]+={0,2}$/.test(text)) return undefined;
  try {
    const o = JSON.parse(Buffer.from(text, 'base64').toString('utf8')) as { kms?: unknown };
    return typeof o === 'object' && o !== null && typeof o.kms === 'string' ? o.kms : undefined;
  } catch {
    return undefined;
  }
}

/**
 * Which back end made a wrapped key: imgseal's PKCS#11 envelope says `"kms":"pkcs11"`;
 * anything else is taken as Key Protect's (whose ciphertext is opaque apart from its
 * `handle`, and which `ibmcloud kp key wrap` prints).
 */
export function wrappedKeyBackend(wrapped: string): KmsBackendName {
  const kms = envelopeKms(wrapped);
  if (kms === undefined) return 'keyprotect';
  if (kms === 'pkcs11') return 'pkcs11';
  throw new ImgsealError('KMS_ERROR', `the wrapped key names an unknown KMS back end ${JSON.stringify(kms.slice(0, 40))}`);
}

const HOW: Record<KmsBackendName, string> = {
  keyprotect: 'the Key Protect configuration (--keyprotect-config, or the keyprotect-config Secret for keysync)',
  pkcs11: 'the PKCS#11 configuration (--pkcs11-config)',
};

/** An unwrapper that sends each wrapped key to the back end that made it. */
export function routeUnwrap(backends: Partial<Record<KmsBackendName, KeyUnwrapper>>): KeyUnwrapper {
  return {
    unwrap: async (wrapped, hints) => {
      const name = wrappedKeyBackend(wrapped);
      const kms = backends[name];
      if (!kms) throw new ImgsealError('KMS_ERROR', `the key is wrapped by ${name === 'pkcs11' ? 'a PKCS#11 token' : 'Key Protect'}; unwrapping it needs ${HOW[name]}`);
      return kms.unwrap(wrapped, hints);
    },
  };
}
