/**
 * Just enough of Docker's reference grammar (distribution/reference) for archive tags:
 * `name[:tag]` normalised the way `ParseNormalizedNamed` + `TagNameOnly` do it, so
 * `busybox` and `docker.io/library/busybox:latest` are the same RepoTag, as in skopeo.
 */
import { ImgsealError } from '../../errors.js';

export interface NamedTagged {
  /** Fully qualified repository, e.g. `docker.io/library/busybox`. */
  name: string;
  tag: string;
}

const PATH_COMPONENT = /^[a-z0-9]+(?:(?:[._]|__|-+)[a-z0-9]+)*$/;
const DOMAIN = /^(?:[a-zA-Z0-9](?:[a-zA-Z0-9-]*[a-zA-Z0-9])?(?:\.[a-zA-Z0-9](?:[a-zA-Z0-9-]*[a-zA-Z0-9])?)*|\[[0-9a-fA-F:]+\])(?::[0-9]+)?$/;
const TAG = /^[\w][\w.-]{0,127}$/;

/** Parses and normalises `name[:tag]`; no tag means `latest`; digests are refused. */
export function parseNamedTagged(s: string): NamedTagged {
  const bad = (why: string) => new ImgsealError('INVALID_REFERENCE', `invalid image name "${s}": ${why}`);
  if (s.includes('@')) throw bad('archives are tagged by name:tag, digest references are not supported');
  let name = s;
  let tag = 'latest';
  const colon = s.lastIndexOf(':');
  if (colon > s.lastIndexOf('/')) {
    name = s.slice(0, colon);
    tag = s.slice(colon + 1);
    if (!TAG.test(tag)) throw bad(`invalid tag "${tag}"`);
  }
  let domain = 'docker.io';
  let path = name;
  const slash = name.indexOf('/');
  const first = slash === -1 ? '' : name.slice(0, slash);
  // Docker's rule: the first component is a registry host when it looks like one.
  if (slash !== -1 && (first.includes('.') || first.includes(':') || first === 'localhost' || first.toLowerCase() !== first)) {
    domain = first;
    path = name.slice(slash + 1);
    if (!DOMAIN.test(domain)) throw bad(`invalid registry "${domain}"`);
  }
  if (domain === 'index.docker.io') domain = 'docker.io';
  if (domain === 'docker.io' && !path.includes('/')) path = `library/${path}`;
  if (path.toLowerCase() !== path) throw bad('repository name must be lowercase');
  if (!path.split('/').every((c) => PATH_COMPONENT.test(c))) throw bad('invalid repository name');
  if (domain.length + 1 + path.length > 255) throw bad('repository name longer than 255 characters');
  return { name: `${domain}/${path}`, tag };
}

export function formatNamedTagged(n: NamedTagged): string {
  return `${n.name}:${n.tag}`;
}
