/** `reject`: admits nothing. */
import { rejected, type RequirementResult, type RequirementInput } from './types.js';

export function evaluateReject(input: RequirementInput): RequirementResult {
  return rejected(`Running image ${input.imageName} is rejected by policy.`);
}
