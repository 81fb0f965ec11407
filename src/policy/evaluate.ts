/**
 * Evaluating a policy for one image: pure apart from the injected key reader —
 * policy + manifest + untrusted signatures + key material → verdict. Every
 * requirement of the chosen list must accept (logical AND).
 */
import type { ImageReference, ManifestBlob, UntrustedSignature } from '../transports/types.js';
import { evaluateInsecureAcceptAnything } from './requirements/insecure-accept-anything.js';
import { evaluateReject } from './requirements/reject.js';
import { evaluateSignedBaseLayer } from './requirements/signed-base-layer.js';
import { evaluateSignedBy } from './requirements/signed-by.js';
import { evaluateSigstoreSigned } from './requirements/sigstore-signed.js';
import type { RequirementInput, RequirementResult } from './requirements/types.js';
import { requirementsFor } from './scope.js';
import type { KeySource, Policy, PolicyRequirement } from './types.js';

export interface Verdict {
  accepted: boolean;
  /** Which list applied: `default` or `transports.docker["host/ns"]`. */
  scope: string;
  /** Why it was rejected (the first failing requirement), in containers/image's words. */
  reason?: string;
  /** The requirement types of the list, for reports. */
  requirements: string[];
}

export async function evaluateRequirement(req: PolicyRequirement, input: RequirementInput): Promise<RequirementResult> {
  switch (req.type) {
    case 'insecureAcceptAnything':
      return evaluateInsecureAcceptAnything();
    case 'reject':
      return evaluateReject(input);
    case 'signedBy':
      return evaluateSignedBy(req, input);
    case 'sigstoreSigned':
      return evaluateSigstoreSigned(req, input);
    case 'signedBaseLayer':
      return evaluateSignedBaseLayer();
  }
}

export async function evaluatePolicy(
  policy: Policy,
  image: { reference: ImageReference; manifest: ManifestBlob; untrustedSignatures: UntrustedSignature[] },
  env: { readKeys: (keys: KeySource) => Promise<Buffer[]>; now: Date },
): Promise<Verdict> {
  const { scope, requirements } = requirementsFor(policy, image.reference);
  const input: RequirementInput = {
    imageReference: image.reference.dockerReference,
    imageName: image.reference.toString(),
    manifest: image.manifest.bytes,
    untrustedSignatures: image.untrustedSignatures,
    readKeys: env.readKeys,
    now: env.now,
  };
  const types = requirements.map((r) => r.type);
  for (const req of requirements) {
    const r = await evaluateRequirement(req, input);
    if (!r.accepted) return { accepted: false, scope, reason: r.reason, requirements: types };
  }
  return { accepted: true, scope, requirements: types };
}
