/**
 * `docker-archive:FILE[:name:tag | :@N]`, the `docker save` format. As containers/image,
 * the text is cut at the first colon; what follows is a RepoTag (normalised, `latest`
 * when no tag) or `@N`, the N-th image of manifest.json (sources only).
 */
import { ImgsealError } from '../../errors.js';
import type { SystemContext } from '../context.js';
import type { ImageDestination, ImageReference, ImageSource, Transport } from '../types.js';
import { parseNamedTagged, type NamedTagged } from './docker-name.js';
import { openDockerArchiveSource } from './docker-source.js';
import { DockerArchiveDestination } from './docker-destination.js';

export class DockerArchiveReference implements ImageReference {
  readonly transport: Transport = dockerArchiveTransport;
  readonly file: string;
  /** The RepoTag asked for, if any. */
  readonly tagged: NamedTagged | undefined;
  /** `@N`, if given. */
  readonly sourceIndex: number | undefined;
  private readonly text: string;

  constructor(text: string, file: string, tagged: NamedTagged | undefined, sourceIndex: number | undefined) {
    this.text = text;
    this.file = file;
    this.tagged = tagged;
    this.sourceIndex = sourceIndex;
  }

  toString(): string {
    return `docker-archive:${this.text}`;
  }

  newImageSource(ctx: SystemContext): Promise<ImageSource> {
    return openDockerArchiveSource(this, ctx.signal);
  }

  newImageDestination(_ctx: SystemContext): Promise<ImageDestination> {
    if (this.sourceIndex !== undefined) {
      throw new ImgsealError('INVALID_REFERENCE', `${this.toString()}: a docker-archive destination is named name:tag, not @${this.sourceIndex}`);
    }
    return DockerArchiveDestination.open(this);
  }
}

export function parseDockerArchiveReference(rest: string): DockerArchiveReference {
  const i = rest.indexOf(':');
  const file = i === -1 ? rest : rest.slice(0, i);
  if (file === '') throw new ImgsealError('INVALID_REFERENCE', `docker-archive reference "${rest}" has no file: expected docker-archive:FILE[:name:tag|:@N]`);
  if (i === -1) return new DockerArchiveReference(rest, file, undefined, undefined);
  const tail = rest.slice(i + 1);
  if (tail.startsWith('@')) {
    if (!/^[0-9]+$/.test(tail.slice(1)) || !Number.isSafeInteger(Number(tail.slice(1)))) {
      throw new ImgsealError('INVALID_REFERENCE', `invalid source index "${tail}" in docker-archive:${rest}: expected @N, N ≥ 0`);
    }
    return new DockerArchiveReference(rest, file, undefined, Number(tail.slice(1)));
  }
  return new DockerArchiveReference(rest, file, parseNamedTagged(tail), undefined);
}

export const dockerArchiveTransport: Transport = {
  name: 'docker-archive',
  parseReference: parseDockerArchiveReference,
};
