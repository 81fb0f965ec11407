/**
 * signedIdentity matchers (spec §3.5) over normalised docker references (spec §1.5).
 * A signature's reference that does not parse never matches.
 */
import { formatDockerName, parseDockerName, type ParsedDockerReference } from '../transports/docker/reference.js';
import type { SignedIdentity } from './types.js';

/** Parses a reference keeping "name only" as name only (parseDockerName adds :latest). */
export function parseIdentity(s: string): ParsedDockerReference | undefined {
  try {
    const p = parseDockerName(s);
    const lastSlash = s.lastIndexOf('/');
    const named = s.includes('@') || s.lastIndexOf(':') > lastSlash;
    return named ? p : { domain: p.domain, repository: p.repository };
  } catch {
    return undefined;
  }
}

const repoOf = (r: ParsedDockerReference): string => `${r.domain}/${r.repository}`;
const hasTagOrDigest = (r: ParsedDockerReference): boolean => r.tag !== undefined || r.digest !== undefined;

function repoDigestOrExact(image: ParsedDockerReference, sig: ParsedDockerReference): boolean {
  if (!hasTagOrDigest(sig)) return false;
  if (image.tag !== undefined) return formatDockerName(image) === formatDockerName(sig);
  if (image.digest !== undefined) return repoOf(image) === repoOf(sig);
  return false;
}

/** Whether a signature claiming `signedReference` matches an image accessed as `imageReference` (undefined: no docker identity). */
export function identityMatches(rule: SignedIdentity, imageReference: string | undefined, signedReference: string): boolean {
  const sig = parseIdentity(signedReference);
  if (!sig) return false;
  const image = imageReference !== undefined ? parseIdentity(imageReference) : undefined;
  switch (rule.type) {
    case 'matchExact':
      return !!image && hasTagOrDigest(image) && hasTagOrDigest(sig) && formatDockerName(image) === formatDockerName(sig);
    case 'matchRepoDigestOrExact':
      return !!image && repoDigestOrExact(image, sig);
    case 'matchRepository':
      return !!image && repoOf(image) === repoOf(sig);
    case 'exactReference': {
      const want = parseIdentity(rule.dockerReference);
      return !!want && hasTagOrDigest(want) && hasTagOrDigest(sig) && formatDockerName(want) === formatDockerName(sig);
    }
    case 'exactRepository': {
      const want = parseIdentity(rule.dockerRepository);
      return !!want && repoOf(want) === repoOf(sig);
    }
    case 'remapIdentity': {
      if (!image || imageReference === undefined) return false;
      const name = formatDockerName(image);
      const full = repoOf(image);
      let remapped = image;
      if (full === rule.prefix || full.startsWith(`${rule.prefix}/`)) {
        const r = parseIdentity(rule.signedPrefix + name.slice(rule.prefix.length));
        if (!r) return false;
        remapped = r;
      }
      return repoDigestOrExact(remapped, sig);
    }
  }
}
