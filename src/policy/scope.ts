/**
 * Choosing the one requirement list for an image (spec §3.3): the most specific scope
 * of its transport, then the transport's "" scope, then `default`. No merging.
 */
import { dirname } from 'node:path';
import type { ImageReference } from '../transports/types.js';
import type { Policy, PolicyRequirement } from './types.js';

/** The image's policy identity: the docker reference, or the folder of a path transport. */
export function policyIdentity(ref: ImageReference): string | undefined {
  if (ref.dockerReference !== undefined) return ref.dockerReference;
  const dir = (ref as { dir?: unknown }).dir;
  return typeof dir === 'string' ? dir : undefined;
}

/** Scopes to try for `identity` of `transport`, most specific first (without ""). */
export function candidateScopes(transport: string, identity: string | undefined): string[] {
  if (identity === undefined) return [];
  if (transport !== 'docker' && transport !== 'atomic') {
    if (!identity.startsWith('/')) return [];
    const out = [identity];
    for (let d = dirname(identity); d !== '/' && d !== '.'; d = dirname(d)) out.push(d);
    return out;
  }
  const out = [identity];
  const at = identity.indexOf('@');
  let repo = at >= 0 ? identity.slice(0, at) : identity;
  const colon = repo.lastIndexOf(':');
  if (colon > repo.lastIndexOf('/')) repo = repo.slice(0, colon);
  for (let p = repo; ; ) {
    out.push(p);
    const slash = p.lastIndexOf('/');
    if (slash < 0) break;
    p = p.slice(0, slash);
  }
  // Wildcards from the host without its port: a.b.example.com → *.b.example.com, *.example.com, *.com
  const host = (repo.split('/')[0] ?? '').replace(/:\d+$/, '');
  const labels = host.split('.');
  for (let i = 1; i < labels.length; i++) out.push(`*.${labels.slice(i).join('.')}`);
  return out;
}

export function requirementsFor(policy: Policy, ref: ImageReference): { scope: string; requirements: PolicyRequirement[] } {
  const scopes = policy.transports[ref.transport.name];
  if (scopes) {
    for (const s of candidateScopes(ref.transport.name, policyIdentity(ref))) {
      const r = scopes[s];
      if (r) return { scope: `transports.${ref.transport.name}["${s}"]`, requirements: r };
    }
    if (scopes['']) return { scope: `transports.${ref.transport.name}[""]`, requirements: scopes[''] };
  }
  return { scope: 'default', requirements: policy.default };
}
