/** policy.json as parsed (spec §3): every field checked, nothing unknown kept. */

export type SignedIdentity =
  | { type: 'matchExact' }
  | { type: 'matchRepoDigestOrExact' }
  | { type: 'matchRepository' }
  | { type: 'exactReference'; dockerReference: string }
  | { type: 'exactRepository'; dockerRepository: string }
  | { type: 'remapIdentity'; prefix: string; signedPrefix: string };

/** Key material as written in the policy: read when the requirement is evaluated. */
export type KeySource = { keyPath: string } | { keyPaths: string[] } | { keyData: string };

export type PolicyRequirement =
  | { type: 'insecureAcceptAnything' }
  | { type: 'reject' }
  | { type: 'signedBy'; keyType: string; keys: KeySource; signedIdentity: SignedIdentity }
  | { type: 'sigstoreSigned'; keys: KeySource | undefined; signedIdentity: SignedIdentity; unsupported?: string }
  /** Parses in containers/image but cannot be satisfied (signedBaseLayer). */
  | { type: 'signedBaseLayer' };

export interface Policy {
  /** The file it came from, for messages. */
  source: string;
  default: PolicyRequirement[];
  /** transport name → scope → requirements. */
  transports: Record<string, Record<string, PolicyRequirement[]>>;
}
