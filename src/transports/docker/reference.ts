/**
 * Parsing and normalising `docker://` references the way containers/image does
 * (it uses distribution's `reference.ParseNormalizedNamed` + `TagNameOnly`):
 * `docker://alpine` is `docker.io/library/alpine:latest`, a first path component is a
 * registry host only if it has a `.` or `:`, is `localhost`, or has upper-case letters.
 */
import { ImgsealError } from '../../errors.js';
import { isDigest, type Digest } from '../../model/digest.js';

export const DOCKER_HUB_DOMAIN = 'docker.io';
/** Where Docker Hub's API really is (docker.io has no /v2/ endpoint). */
export const DOCKER_HUB_API_HOST = 'registry-1.docker.io';
const LEGACY_HUB_DOMAIN = 'index.docker.io';

/** distribution's grammar (reference/regexp.go), anchored per piece. */
const PATH_COMPONENT = /^[a-z0-9]+(?:(?:[._]|__|[-]+)[a-z0-9]+)*$/;
const DOMAIN = /^(?:[a-zA-Z0-9](?:[a-zA-Z0-9-]*[a-zA-Z0-9])?(?:\.[a-zA-Z0-9](?:[a-zA-Z0-9-]*[a-zA-Z0-9])?)*|\[[0-9a-fA-F:.]+\])(?::[0-9]+)?$/;
const TAG = /^[\w][\w.-]{0,127}$/;
const DIGEST = /^[A-Za-z][A-Za-z0-9]*(?:[-_+.][A-Za-z][A-Za-z0-9]*)*:[0-9a-fA-F]{32,}$/;
const ID_LIKE = /^[a-f0-9]{64}$/;
const NAME_TOTAL_LENGTH_MAX = 255;

export interface ParsedDockerReference {
  /** Registry domain as users name it (`docker.io`, `quay.io`, `127.0.0.1:5000`). */
  readonly domain: string;
  /** Repository path inside the registry (`library/alpine`). */
  readonly repository: string;
  readonly tag?: string;
  readonly digest?: Digest;
}

function invalid(input: string, why: string): ImgsealError {
  return new ImgsealError('INVALID_REFERENCE', `invalid docker reference "${input}": ${why}`);
}

/**
 * Parses a normalised named reference (no `docker://` prefix). A name without tag or
 * digest gets `:latest`; a tag together with a digest is refused, as containers/image's
 * docker transport does ("references with both a tag and digest are not supported").
 */
export function parseDockerName(input: string): ParsedDockerReference {
  if (input === '') throw invalid(input, 'empty name');
  // An image ID is not a name (distribution refuses it the same way).
  if (ID_LIKE.test(input)) throw invalid(input, 'cannot specify 64-byte hexadecimal strings as a repository name');
  let rest = input;
  let digest: Digest | undefined;
  const at = rest.indexOf('@');
  if (at >= 0) {
    const d = rest.slice(at + 1);
    if (!DIGEST.test(d)) throw invalid(input, `invalid digest "${d}"`);
    if (!isDigest(d)) throw invalid(input, `unsupported digest "${d}" (expected sha256:<64 hex> or sha512:<128 hex>)`);
    digest = d;
    rest = rest.slice(0, at);
  }
  let tag: string | undefined;
  const lastSlash = rest.lastIndexOf('/');
  const colon = rest.lastIndexOf(':');
  if (colon > lastSlash) {
    tag = rest.slice(colon + 1);
    rest = rest.slice(0, colon);
    if (!TAG.test(tag)) throw invalid(input, `invalid tag "${tag}"`);
  }
  if (tag !== undefined && digest !== undefined) {
    throw invalid(input, 'a reference with both a tag and a digest is not supported');
  }
  const { domain, repository } = splitDomain(input, rest);
  if (tag === undefined && digest === undefined) tag = 'latest';
  return { domain, repository, ...(tag !== undefined ? { tag } : {}), ...(digest !== undefined ? { digest } : {}) };
}

function splitDomain(input: string, name: string): { domain: string; repository: string } {
  if (name === '') throw invalid(input, 'missing repository name');
  let domain = DOCKER_HUB_DOMAIN;
  let repository = name;
  const i = name.indexOf('/');
  if (i >= 0) {
    const first = name.slice(0, i);
    if (/[.:]/.test(first) || first === 'localhost' || first.toLowerCase() !== first) {
      domain = first;
      repository = name.slice(i + 1);
    }
  }
  if (domain !== DOCKER_HUB_DOMAIN || i >= 0) {
    if (!DOMAIN.test(domain)) throw invalid(input, `invalid registry host "${domain}"`);
  }
  if (domain === LEGACY_HUB_DOMAIN) domain = DOCKER_HUB_DOMAIN;
  if (domain === DOCKER_HUB_DOMAIN && !repository.includes('/')) repository = `library/${repository}`;
  if (repository === '') throw invalid(input, 'missing repository name');
  if (repository.toLowerCase() !== repository) throw invalid(input, 'repository name must be lowercase');
  for (const c of repository.split('/')) {
    if (!PATH_COMPONENT.test(c)) throw invalid(input, `invalid repository path component "${c}"`);
  }
  if (domain.length + 1 + repository.length > NAME_TOTAL_LENGTH_MAX) {
    throw invalid(input, `repository name must not be more than ${NAME_TOTAL_LENGTH_MAX} characters`);
  }
  return { domain, repository };
}

/** Parses what follows `docker:`, which must start with `//`. */
export function parseDockerTransportReference(rest: string): ParsedDockerReference {
  if (!rest.startsWith('//')) {
    throw new ImgsealError('INVALID_REFERENCE', `invalid docker reference "docker:${rest}": expected docker://[HOST[:PORT]/]REPO[:TAG|@DIGEST]`);
  }
  return parseDockerName(rest.slice(2));
}

/** The host whose /v2/ API serves `domain` (Docker Hub's is not docker.io itself). */
export function apiHostOf(domain: string): string {
  return domain === DOCKER_HUB_DOMAIN ? DOCKER_HUB_API_HOST : domain;
}

/** `domain/repository[:tag|@digest]`, fully qualified. */
export function formatDockerName(r: ParsedDockerReference): string {
  const base = `${r.domain}/${r.repository}`;
  if (r.digest) return `${base}@${r.digest}`;
  return r.tag ? `${base}:${r.tag}` : base;
}
