/** `signedBaseLayer` parses (as in containers/image) but cannot be satisfied by anyone. */
import { rejected, type RequirementResult } from './types.js';

export function evaluateSignedBaseLayer(): RequirementResult {
  return rejected('signedBaseLayer is not implemented (containers/image cannot satisfy it either); the image is rejected');
}
