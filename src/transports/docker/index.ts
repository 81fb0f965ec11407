/**
 * The `docker://` transport: images in any OCI distribution registry.
 */
import type { SystemContext } from '../context.js';
import type { ImageDestination, ImageReference, ImageSource, Transport } from '../types.js';
import type { DockerImageDestination } from './destination.js';
import { apiHostOf, formatDockerName, parseDockerTransportReference, type ParsedDockerReference } from './reference.js';

export class DockerReference implements ImageReference {
  readonly transport: Transport = dockerTransport;

  constructor(readonly parsed: ParsedDockerReference) {}

  /** `docker.io/library/alpine:latest`: the fully qualified name. */
  get name(): string {
    return formatDockerName(this.parsed);
  }

  get dockerReference(): string {
    return this.name;
  }

  /** The host whose /v2/ API serves this image (`registry-1.docker.io` for docker.io). */
  get apiHost(): string {
    return apiHostOf(this.parsed.domain);
  }

  toString(): string {
    return `docker://${this.name}`;
  }

  // The HTTP stack (undici, ~20 MB) is loaded only when a registry is used, so
  // local copies start faster and stay smaller.
  async newImageSource(ctx: SystemContext): Promise<ImageSource> {
    const [{ RegistryClient }, { DockerImageSource }, { RegistrySignatures }] = await Promise.all([import('./client.js'), import('./source.js'), import('./signatures.js')]);
    const client = await RegistryClient.open({ ref: this.parsed, actions: ['pull'], ctx });
    return new DockerImageSource(this, this.parsed, client, new RegistrySignatures(this.parsed, ctx, client));
  }

  async newImageDestination(ctx: SystemContext): Promise<DockerImageDestination & ImageDestination> {
    const [{ RegistryClient }, { DockerImageDestination }, { RegistrySignatures }] = await Promise.all([import('./client.js'), import('./destination.js'), import('./signatures.js')]);
    const client = await RegistryClient.open({ ref: this.parsed, actions: ['pull', 'push'], ctx });
    return new DockerImageDestination(this, this.parsed, client, new RegistrySignatures(this.parsed, ctx, client));
  }
}

export const dockerTransport: Transport = {
  name: 'docker',
  parseReference(rest: string): DockerReference {
    return new DockerReference(parseDockerTransportReference(rest));
  },
};

export { parseDockerName, formatDockerName, type ParsedDockerReference } from './reference.js';
export type { LoginResult } from './login.js';
export type { DockerImageDestination } from './destination.js';
export type { DockerImageSource } from './source.js';

/** Saves registry credentials after checking them (loads the HTTP client on first use). */
export async function login(...args: Parameters<typeof import('./login.js').login>): ReturnType<typeof import('./login.js').login> {
  return (await import('./login.js')).login(...args);
}

/**
 * The tags of the repository a `docker://` reference names (its tag or digest is
 * ignored), every page of them, as `skopeo list-tags` prints them.
 */
export async function listTags(ref: DockerReference, ctx: SystemContext = {}, opts: { pageSize?: number } = {}): Promise<import('./tags.js').TagList> {
  return (await import('./tags.js')).listRepositoryTags(ref.parsed, ctx, opts);
}

export type { TagList } from './tags.js';

/** Removes saved registry credentials. */
export async function logout(...args: Parameters<typeof import('./login.js').logout>): ReturnType<typeof import('./login.js').logout> {
  return (await import('./login.js')).logout(...args);
}
