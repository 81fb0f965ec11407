/**
 * What signedBy and sigstoreSigned share once a signature's cryptography is checked:
 * its payload must name this manifest's digest (before the identity, as containers/image
 * checks), then carry an identity the signedIdentity rule accepts. The first signature
 * that passes admits the image; otherwise every signature's reason is reported.
 */
import { isImgsealError } from '../../errors.js';
import type { SignaturePayload } from '../../signature/payload.js';
import { requireDigestMatches } from '../../signature/simple-signing.js';
import { identityMatches } from '../identity.js';
import type { SignedIdentity } from '../types.js';
import { accepted, noneAccepted, type RequirementInput, type RequirementResult } from './types.js';

/**
 * `verify` returns the payload of a signature whose cryptography holds, or throws an
 * ImgsealError whose message is the reason (any other error is a bug and propagates).
 */
export async function firstAcceptedSignature<S>(
  candidates: readonly S[],
  verify: (candidate: S) => Promise<SignaturePayload>,
  signedIdentity: SignedIdentity,
  input: RequirementInput,
): Promise<RequirementResult> {
  const reasons: string[] = [];
  for (const candidate of candidates) {
    try {
      const payload = await verify(candidate);
      requireDigestMatches(payload, input.manifest);
      if (identityMatches(signedIdentity, input.imageReference, payload.dockerReference)) return accepted;
      reasons.push(`Signature for identity ${payload.dockerReference} is not accepted`);
    } catch (err) {
      if (!isImgsealError(err)) throw err;
      reasons.push(err.message);
    }
  }
  return noneAccepted(reasons);
}
