import { resolve } from 'node:path';
import { ImgsealError } from '../../errors.js';
import type { SystemContext } from '../context.js';
import type { ImageDestination, ImageReference, ImageSource, Transport } from '../types.js';
import { DirImageDestination } from './destination.js';
import { DirImageSource } from './source.js';

/** `dir:PATH`: one image in a folder, in containers/image's directory format (layout.ts). */
export class DirReference implements ImageReference {
  readonly transport: Transport;
  readonly dir: string;

  constructor(transport: Transport, dir: string) {
    this.transport = transport;
    this.dir = resolve(dir);
  }

  toString(): string {
    return `dir:${this.dir}`;
  }

  newImageSource(_ctx: SystemContext): Promise<ImageSource> {
    return DirImageSource.open(this, this.dir);
  }

  newImageDestination(ctx: SystemContext): Promise<ImageDestination> {
    return DirImageDestination.open(this, this.dir, { signal: ctx.signal });
  }
}

export const dirTransport: Transport = {
  name: 'dir',
  parseReference(rest: string): ImageReference {
    // Everything after `dir:` is the path, colons included (as containers/image).
    if (rest === '') throw new ImgsealError('INVALID_REFERENCE', 'invalid dir reference "dir:": empty path');
    return new DirReference(dirTransport, rest);
  },
};
