/**
 * `oci-archive:FILE[:REF]`: a tar of an OCI image layout. As in containers/image, the
 * text is cut at the first colon, so FILE cannot contain one; REF is the
 * `org.opencontainers.image.ref.name` of the image in index.json.
 */
import { ImgsealError } from '../../errors.js';
import type { SystemContext } from '../context.js';
import type { ImageDestination, ImageReference, ImageSource, Transport } from '../types.js';
import { openOciArchiveSource } from './oci-source.js';
import { OciArchiveDestination } from './oci-destination.js';

// The ref.name grammar of the OCI image spec (annotations.md).
const COMPONENT = '[A-Za-z0-9]+(?:(?:[-._:@+]|--)[A-Za-z0-9]+)*';
const REF_NAME = new RegExp(`^${COMPONENT}(?:/${COMPONENT})*$`);

export class OciArchiveReference implements ImageReference {
  readonly transport: Transport = ociArchiveTransport;
  /** The archive path, as given. */
  readonly file: string;
  /** The ref name, or undefined for "the only image". */
  readonly refName: string | undefined;

  constructor(file: string, refName: string | undefined) {
    this.file = file;
    this.refName = refName;
  }

  toString(): string {
    return `oci-archive:${this.file}${this.refName === undefined ? '' : `:${this.refName}`}`;
  }

  newImageSource(ctx: SystemContext): Promise<ImageSource> {
    return openOciArchiveSource(this, ctx.signal);
  }

  newImageDestination(_ctx: SystemContext): Promise<ImageDestination> {
    return OciArchiveDestination.open(this);
  }
}

export function parseOciArchiveReference(rest: string): OciArchiveReference {
  const i = rest.indexOf(':');
  const file = i === -1 ? rest : rest.slice(0, i);
  const refName = i === -1 ? undefined : rest.slice(i + 1);
  if (file === '') throw new ImgsealError('INVALID_REFERENCE', `oci-archive reference "${rest}" has no file: expected oci-archive:FILE[:REF]`);
  if (refName !== undefined && !REF_NAME.test(refName)) {
    throw new ImgsealError('INVALID_REFERENCE', `invalid image reference name "${refName}" in oci-archive:${rest}`);
  }
  return new OciArchiveReference(file, refName);
}

export const ociArchiveTransport: Transport = {
  name: 'oci-archive',
  parseReference: parseOciArchiveReference,
};
