/**
 * `sigstoreSigned` with public keys (spec §4.5, §4.7): a cosign simple-signing layer
 * whose `dev.cosignproject.cosign/signature` verifies over the exact payload bytes with
 * one of the keys (ECDSA/RSA over SHA-256, Ed25519), then the payload's digest and
 * identity. Fulcio, PKI and Rekor modes are parsed but not implemented: they reject
 * saying so.
 */
import { createPublicKey, verify, type KeyObject } from 'node:crypto';
import { ImgsealError, isImgsealError } from '../../errors.js';
import { COSIGN_SIGNATURE_TYPE, parsePayload } from '../../signature/payload.js';
import { COSIGN_SIGNATURE_ANNOTATION, COSIGN_SIMPLESIGNING_MIME } from '../../signature/sigstore-sign.js';
import type { PolicyRequirement } from '../types.js';
import type { UntrustedSignature } from '../../transports/types.js';
import { firstAcceptedSignature } from './accept-payload.js';
import { rejected, type RequirementInput, type RequirementResult } from './types.js';

type SigstoreSigned = Extract<PolicyRequirement, { type: 'sigstoreSigned' }>;
type SigstoreSignature = Extract<UntrustedSignature, { kind: 'sigstore' }>;

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
  const candidates = input.untrustedSignatures.filter((s): s is SigstoreSignature => s.kind === 'sigstore' && s.mimeType === COSIGN_SIMPLESIGNING_MIME);
  return firstAcceptedSignature(
    candidates,
    async (sig) => {
      const b64 = sig.untrustedAnnotations[COSIGN_SIGNATURE_ANNOTATION];
      if (b64 === undefined) throw new ImgsealError('SIGNATURE_INVALID', `missing ${COSIGN_SIGNATURE_ANNOTATION} annotation`);
      const raw = Buffer.from(b64, 'base64');
      if (!keys.some((k) => verifyCosignSignature(k, sig.untrustedPayload, raw))) throw new ImgsealError('SIGNATURE_INVALID', 'cryptographic signature verification failed: invalid signature');
      // Parsed only now that the signature over these exact bytes holds.
      return parsePayload(sig.untrustedPayload, COSIGN_SIGNATURE_TYPE);
    },
    req.signedIdentity,
    input,
  );
}
