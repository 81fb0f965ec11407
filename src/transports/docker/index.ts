/**
 * The `docker://` transport: images in any OCI distribution registry.
 */
import type { SystemContext } from '../context.js';
import type { ImageDestination, ImageReference, ImageSource, Transport } from '../types.js';
import { RegistryClient } from './client.js';
import { DockerImageDestination } from './destination.js';
import { apiHostOf, formatDockerName, parseDockerTransportReference, type ParsedDockerReference } from './reference.js';
import { DockerImageSource } from './source.js';

export class DockerReference implements ImageReference {
  readonly transport: Transport = dockerTransport;

  constructor(readonly parsed: ParsedDockerReference) {}

  /** `docker.io/library/alpine:latest`: the fully qualified name. */
  get name(): string {
    return formatDockerName(this.parsed);
  }

  /** The host whose /v2/ API serves this image (`registry-1.docker.io` for docker.io). */
  get apiHost(): string {
    return apiHostOf(this.parsed.domain);
  }

  toString(): string {
    return `docker://${this.name}`;
  }

  async newImageSource(ctx: SystemContext): Promise<ImageSource> {
    const client = await RegistryClient.open({ ref: this.parsed, actions: ['pull'], ctx });
    return new DockerImageSource(this, this.parsed, client);
  }

  async newImageDestination(ctx: SystemContext): Promise<DockerImageDestination & ImageDestination> {
    const client = await RegistryClient.open({ ref: this.parsed, actions: ['pull', 'push'], ctx });
    return new DockerImageDestination(this, this.parsed, client);
  }
}

export const dockerTransport: Transport = {
  name: 'docker',
  parseReference(rest: string): DockerReference {
    return new DockerReference(parseDockerTransportReference(rest));
  },
};

export { parseDockerName, formatDockerName, type ParsedDockerReference } from './reference.js';
export { login, logout, loginKey, type LoginResult } from './login.js';
export { DockerImageDestination } from './destination.js';
export { DockerImageSource } from './source.js';
