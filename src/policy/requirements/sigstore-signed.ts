/**
 * `sigstoreSigned` with public keys (spec §4.5, §4.7): a cosign simple-signing layer
 * whose `dev.cosignproject.cosign/signature` verifies over the exact payload bytes with
 * one of the keys (ECDSA/RSA over SHA-256, Ed25519), then the payload's digest and
 * identity. Fulcio, PKI and Rekor modes are parsed but not implemented: they reject
 * saying so.
 */
import { createPublicKey, verify, type KeyObject } from 'node:crypto';
import { isImgsealError } from '../../errors.js';
import { COSIGN_SIGNATURE_TYPE, parsePayload } from '../../signature/payload.js';
import { COSIGN_SIGNATURE_ANNOTATION, COSIGN_SIMPLESIGNING_MIME } from '../../signature/sigstore-sign.js';
import { requireDigestMatches } from '../../signature/simple-signing.js';
import { identityMatches } from '../identity.js';
import type { PolicyRequirement } from '../types.js';
import { accepted, noneAccepted, rejected, type RequirementInput, type RequirementResult } from './types.js';

type SigstoreSigned = Extract<PolicyRequirement, { type: 'sigstoreSigned' }>;

function publicKeyOf(bytes: Buffer, i: number): KeyObject {
  // keyData is base64 of the PEM file; keyPath files are PEM.
  try {
    return createPublicKey(bytes.toString('utf8'));
  } catch (err) {
    throw new Error(`sigstoreSigned key ${i + 1} is not a PEM public key (${(err as Error).message})`);
  }
}

export function verifyCosignSignature(key: KeyObject, payload: Buffer, signature: Buffer): boolean {
  const algorithm = key.asymmetricKeyType === 'ed25519' ? null : 'sha256';
  return verify(algorithm, payload, key, signature);
}

export async function evaluateSigstoreSigned(req: SigstoreSigned, input: RequirementInput): Promise<RequirementResult> {
  if (req.unsupported || !req.keys) return rejected(`sigstoreSigned with ${req.unsupported ?? 'this key form'} is not supported by imgseal; the image is rejected`);
  let keys: KeyObject[];
  try {
    keys = (await input.readKeys(req.keys)).map(publicKeyOf);
  } catch (err) {
    if (isImgsealError(err)) throw err;
    return rejected((err as Error).message);
  }
  const reasons: string[] = [];
  for (const sig of input.untrustedSignatures) {
    if (sig.kind !== 'sigstore' || sig.mimeType !== COSIGN_SIMPLESIGNING_MIME) continue;
    const b64 = sig.untrustedAnnotations[COSIGN_SIGNATURE_ANNOTATION];
    if (b64 === undefined) {
      reasons.push(`missing ${COSIGN_SIGNATURE_ANNOTATION} annotation`);
      continue;
    }
    const raw = Buffer.from(b64, 'base64');
    if (!keys.some((k) => verifyCosignSignature(k, sig.untrustedPayload, raw))) {
      reasons.push('cryptographic signature verification failed: invalid signature');
      continue;
    }
    try {
      const payload = parsePayload(sig.untrustedPayload, COSIGN_SIGNATURE_TYPE);
      requireDigestMatches(payload, input.manifest);
      if (!identityMatches(req.signedIdentity, input.imageReference, payload.dockerReference)) {
        reasons.push(`Signature for identity ${payload.dockerReference} is not accepted`);
        continue;
      }
      return accepted;
    } catch (err) {
      if (!isImgsealError(err)) throw err;
      reasons.push(err.message);
    }
  }
  return noneAccepted(reasons);
}
