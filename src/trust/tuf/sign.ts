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

/** Notary's expiry format: RFC 3339 UTC (Go writes nanoseconds; milliseconds read the same). */
export function tufExpires(now: Date, days: number): string {
  return new Date(now.getTime() + days * 86_400_000).toISOString();
}
