/**
 * `signedBy` with GPG keys (spec §1.4, §3.4): at least one simple signature must verify
 * with the policy's keys only, name this manifest's digest, and carry an identity the
 * signedIdentity rule accepts. Sigstore signatures are ignored.
 */
import { readPublicKeys, verifySimpleSignature } from '../../signature/simple-signing.js';
import type { PolicyRequirement } from '../types.js';
import type { UntrustedSignature } from '../../transports/types.js';
import { firstAcceptedSignature } from './accept-payload.js';
import { rejected, type RequirementInput, type RequirementResult } from './types.js';

type SignedBy = Extract<PolicyRequirement, { type: 'signedBy' }>;
type SimpleSignature = Extract<UntrustedSignature, { kind: 'simple-signing' }>;

export async function evaluateSignedBy(req: SignedBy, input: RequirementInput): Promise<RequirementResult> {
  if (req.keyType !== 'GPGKeys') return rejected(`Unimplemented "keyType" value "${req.keyType}"`);
  const keyring = (await Promise.all((await input.readKeys(req.keys)).map((b, i) => readPublicKeys(b, `signedBy key ${i + 1}`)))).flat();
  const simple = input.untrustedSignatures.filter((s): s is SimpleSignature => s.kind === 'simple-signing');
  return firstAcceptedSignature(simple, async (sig) => (await verifySimpleSignature(sig.untrustedBlob, keyring, input.now)).payload, req.signedIdentity, input);
}
