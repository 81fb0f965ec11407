/** `insecureAcceptAnything`: admits any image (it never vouches for a signature). */
import { accepted, type RequirementResult } from './types.js';

export function evaluateInsecureAcceptAnything(): RequirementResult {
  return accepted;
}
