import { resolve } from 'node:path';
import { ImgsealError } from '../../errors.js';
import type { SystemContext } from '../context.js';
import type { ImageDestination, ImageReference, ImageSource, Transport } from '../types.js';
import { OciLayoutDestination } from './destination.js';
import { OciLayoutSource } from './source.js';

/**
 * `oci:PATH[:REF]`: an OCI image layout folder; REF is the
 * `org.opencontainers.image.ref.name` of one entry in index.json. As in
 * containers/image, the path ends at the first colon (paths with colons are not supported).
 */
export class OciLayoutReference implements ImageReference {
  readonly transport: Transport;
  readonly dir: string;
  readonly refName: string | undefined;

  constructor(transport: Transport, dir: string, refName: string | undefined) {
    this.transport = transport;
    this.dir = resolve(dir);
    this.refName = refName;
  }

  toString(): string {
    return `oci:${this.dir}${this.refName !== undefined ? `:${this.refName}` : ''}`;
  }

  newImageSource(_ctx: SystemContext): Promise<ImageSource> {
    return OciLayoutSource.open(this);
  }

  newImageDestination(ctx: SystemContext): Promise<ImageDestination> {
    return OciLayoutDestination.open(this, { signal: ctx.signal });
  }
}

// The OCI image-spec grammar for ref names (annotations.md).
const REF_NAME = /^[A-Za-z0-9]+(?:(?:[-._:@+]|--)[A-Za-z0-9]+)*(?:\/[A-Za-z0-9]+(?:(?:[-._:@+]|--)[A-Za-z0-9]+)*)*$/;

export const ociTransport: Transport = {
  name: 'oci',
  parseReference(rest: string): ImageReference {
    const i = rest.indexOf(':');
    const dir = i < 0 ? rest : rest.slice(0, i);
    const ref = i < 0 ? undefined : rest.slice(i + 1);
    if (dir === '') throw new ImgsealError('INVALID_REFERENCE', `invalid oci reference "oci:${rest}": empty path`);
    if (ref !== undefined && !REF_NAME.test(ref)) {
      throw new ImgsealError('INVALID_REFERENCE', `invalid oci reference "oci:${rest}": "${ref}" is not a valid image ref name`);
    }
    return new OciLayoutReference(ociTransport, dir, ref === '' ? undefined : ref);
  },
};
