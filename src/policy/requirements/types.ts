/** What every requirement evaluator gets and answers. */
import type { UntrustedSignature } from '../../transports/types.js';
import type { KeySource } from '../types.js';

export interface RequirementInput {
  /** The docker reference the image was accessed by (undefined for transports without one). */
  imageReference: string | undefined;
  /** `docker://…` etc., for messages. */
  imageName: string;
  /** The verified manifest bytes. */
  manifest: Buffer;
  untrustedSignatures: UntrustedSignature[];
  /** Reads key material as the policy names it (files read at evaluation time, as containers/image). */
  readKeys: (keys: KeySource) => Promise<Buffer[]>;
  now: Date;
}

export type RequirementResult = { accepted: true } | { accepted: false; reason: string };

export const accepted: RequirementResult = { accepted: true };
export const rejected = (reason: string): RequirementResult => ({ accepted: false, reason });

/** containers/image's summary of per-signature failures. */
export function noneAccepted(reasons: string[]): RequirementResult {
  if (reasons.length === 0) return rejected('A signature was required, but no signature exists');
  if (reasons.length === 1) return rejected(reasons[0] as string);
  return rejected(`None of the signatures were accepted, reasons: ${reasons.join('; ')}`);
}
