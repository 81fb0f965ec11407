/**
 * `signedBy` with GPG keys (spec §1.4, §3.4): at least one simple signature must verify
 * with the policy's keys only, name this manifest's digest, and carry an identity the
 * signedIdentity rule accepts. Sigstore signatures are ignored.
 */
import { isImgsealError } from '../../errors.js';
import { readPublicKeys, requireDigestMatches, verifySimpleSignature } from '../../signature/simple-signing.js';
import { identityMatches } from '../identity.js';
import type { PolicyRequirement } from '../types.js';
import { accepted, noneAccepted, rejected, type RequirementInput, type RequirementResult } from './types.js';

type SignedBy = Extract<PolicyRequirement, { type: 'signedBy' }>;

export async function evaluateSignedBy(req: SignedBy, input: RequirementInput): Promise<RequirementResult> {
  if (req.keyType !== 'GPGKeys') return rejected(`Unimplemented "keyType" value "${req.keyType}"`);
  const keyring = (await Promise.all((await input.readKeys(req.keys)).map((b, i) => readPublicKeys(b, `signedBy key ${i + 1}`)))).flat();
  const reasons: string[] = [];
  for (const sig of input.untrustedSignatures) {
    if (sig.kind !== 'simple-signing') continue;
    try {
      const verified = await verifySimpleSignature(sig.untrustedBlob, keyring, input.now);
      requireDigestMatches(verified.payload, input.manifest);
      if (!identityMatches(req.signedIdentity, input.imageReference, verified.payload.dockerReference)) {
        reasons.push(`Signature for identity ${verified.payload.dockerReference} is not accepted`);
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
