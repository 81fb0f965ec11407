/**
 * Making Notary v1 metadata: `signed` serialised canonically and signed, wrapped in the
 * envelope as notary emits it (compact, `signed` first, then `signatures` with
 * `keyid`, `method`, `sig`). ECDSA signatures are raw r||s, as notary's verifier wants.
 */
import { constants, sign, type KeyObject } from 'node:crypto';
import { ImgsealError } from '../../errors.js';
import { canonicalJson } from './canonical-json.js';

export interface TufSigner {
  /** The key ID the role lists (for root: the certificate form's ID). */
  readonly keyid: string;
  readonly privateKey: KeyObject;
}

export function signatureFor(signer: TufSigner, data: Buffer): { keyid: string; method: string; sig: string } {
  const type = signer.privateKey.asymmetricKeyType;
  let method: string;
  let sig: Buffer;
  if (type === 'ec') {
    method = 'ecdsa';
    sig = sign('sha256', data, { key: signer.privateKey, dsaEncoding: 'ieee-p1363' });
  } else if (type === 'rsa') {
    method = 'rsapss';
    sig = sign('sha256', data, { key: signer.privateKey, padding: constants.RSA_PKCS1_PSS_PADDING, saltLength: 32 });
  } else if (type === 'ed25519') {
    method = 'eddsa';
    sig = sign(null, data, signer.privateKey);
  } else {
    throw new ImgsealError('INVALID_KEY', `a ${String(type)} key cannot sign Notary metadata`);
  }
  return { keyid: signer.keyid, method, sig: sig.toString('base64') };
}

/** The complete file for `signed`, signed by every signer. */
export function signMetadata(signed: Record<string, unknown>, signers: readonly TufSigner[]): Buffer {
  const body = canonicalJson(signed);
  const signatures = signers.map((s) => signatureFor(s, body));
  return Buffer.concat([Buffer.from('{"signed":'), body, Buffer.from(`,"signatures":${JSON.stringify(signatures)}}`)]);
}

/**
 * An expiry as Go marshals a time.Time (RFC 3339 with the fraction's trailing zeros
 * trimmed: `.120Z` is written `.12Z`, `.000Z` is dropped). It must be exactly that:
 * notary-server re-serialises uploaded files when it makes the snapshot, so any other
 * spelling of the same time gives the snapshot a length and hash our file does not have.
 */
export function tufExpires(now: Date, days: number): string {
  return goTime(new Date(now.getTime() + days * 86_400_000));
}

export function goTime(d: Date): string {
  return d.toISOString().replace(/\.(\d*?)0*Z$/, (_m, frac: string) => (frac ? `.${frac}Z` : 'Z'));
}
