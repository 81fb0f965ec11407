/** Signature policy (policy.json): parsing, scopes, requirements, evaluation. */
export { parsePolicy } from './parse.js';
export { evaluatePolicy, type Verdict } from './evaluate.js';
export { PolicyContext, loadPolicy, acceptAnythingPolicy, readPolicyKeys, type PolicyLoadOptions } from './context.js';
export { candidateScopes, requirementsFor, policyIdentity } from './scope.js';
export { identityMatches } from './identity.js';
export type { Policy, PolicyRequirement, SignedIdentity, KeySource } from './types.js';
export { checkImagePolicy, type ImageVerdict } from './check.js';
