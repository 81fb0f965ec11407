/**
 * skopeo's standalone-sign / standalone-verify: a signature of a manifest file for a
 * reference, outside any copy. Verification requires the signer to be one of the
 * expected fingerprints (or any of the given keys), the manifest digest to match, and
 * the reference to equal the signed one after normalisation (spec §1.4 step 5).
 */
import type * as openpgp from 'openpgp';
import { ImgsealError } from '../errors.js';
import { sha256Digest } from '../model/digest.js';
import { formatDockerName } from '../transports/docker/reference.js';
import { parseIdentity } from '../policy/identity.js';
import { CREATOR, serializePayload } from './payload.js';
import { requireDigestMatches, verifySimpleSignature } from './simple-signing.js';

/** The payload standalone-sign signs: the reference exactly as given. */
export function standalonePayload(manifest: Buffer, reference: string, now: number = Date.now()): Buffer {
  if (!parseIdentity(reference)) throw new ImgsealError('INVALID_REFERENCE', `invalid docker reference "${reference}"`);
  return serializePayload({ dockerManifestDigest: sha256Digest(manifest), dockerReference: reference, creator: CREATOR, timestamp: Math.floor(now / 1000) });
}

export interface StandaloneVerified {
  fingerprint: string;
  digest: string;
}

const fail = (why: string): ImgsealError => new ImgsealError('SIGNATURE_INVALID', `Error verifying signature: ${why}`);

export async function standaloneVerify(o: {
  manifest: Buffer;
  reference: string;
  /** Expected signer fingerprints, or 'any' (of `keys`). */
  fingerprints: string[] | 'any';
  signature: Buffer;
  keys: openpgp.PublicKey[];
}): Promise<StandaloneVerified> {
  const want = parseIdentity(o.reference);
  if (!want) throw new ImgsealError('INVALID_REFERENCE', `invalid docker reference "${o.reference}"`);
  let v;
  try {
    v = await verifySimpleSignature(o.signature, o.keys);
  } catch (err) {
    throw fail((err as Error).message);
  }
  if (o.fingerprints !== 'any') {
    const expected = o.fingerprints.map((f) => f.toUpperCase());
    if (!expected.includes(v.signerFingerprint)) throw fail(`Signature by ${v.signerFingerprint} does not match expected fingerprint ${expected.join(', ')}`);
  }
  try {
    requireDigestMatches(v.payload, o.manifest);
  } catch (err) {
    throw fail((err as Error).message);
  }
  const got = parseIdentity(v.payload.dockerReference);
  if (!got || formatDockerName(got) !== formatDockerName(want)) throw fail(`Docker reference ${v.payload.dockerReference} does not match ${o.reference}`);
  return { fingerprint: v.signerFingerprint, digest: v.payload.dockerManifestDigest };
}
