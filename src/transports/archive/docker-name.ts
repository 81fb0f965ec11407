/**
 * Archive tags in Docker's reference grammar (distribution/reference):
 * `name[:tag]` normalised the way `ParseNormalizedNamed` + `TagNameOnly` do it, so
 * `busybox` and `docker.io/library/busybox:latest` are the same RepoTag, as in skopeo.
 */
import { ImgsealError, isImgsealError } from '../../errors.js';
import { parseDockerName } from '../docker/reference.js';

export interface NamedTagged {
  /** Fully qualified repository, e.g. `docker.io/library/busybox`. */
  name: string;
  tag: string;
}

/**
 * Parses and normalises `name[:tag]`; no tag means `latest`; digests are refused. The
 * grammar is docker://'s (one image-name grammar for the whole tool: registry hosts,
 * IPv6 literals, path components and the length limit are checked in one place).
 */
export function parseNamedTagged(s: string): NamedTagged {
  const bad = (why: string) => new ImgsealError('INVALID_REFERENCE', `invalid image name "${s}": ${why}`);
  if (s.includes('@')) throw bad('archives are tagged by name:tag, digest references are not supported');
  let parsed: ReturnType<typeof parseDockerName>;
  try {
    parsed = parseDockerName(s);
  } catch (err) {
    if (!isImgsealError(err, 'INVALID_REFERENCE')) throw err;
    const prefix = `invalid docker reference "${s}": `;
    throw bad(err.message.startsWith(prefix) ? err.message.slice(prefix.length) : err.message);
  }
  return { name: `${parsed.domain}/${parsed.repository}`, tag: parsed.tag ?? 'latest' };
}

export function formatNamedTagged(n: NamedTagged): string {
  return `${n.name}:${n.tag}`;
}
