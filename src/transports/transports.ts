/**
 * The known transports, as an explicit map (no registration by import side effect),
 * and `parseImageName`, which turns `transport:rest` into an ImageReference.
 */
import { ImgsealError } from '../errors.js';
import type { ImageReference, Transport } from './types.js';
import { ociTransport } from './oci/index.js';
import { dockerArchiveTransport, ociArchiveTransport } from './archive/index.js';
import { dockerTransport } from './docker/index.js';
import { dirTransport } from './dir/index.js';

const TRANSPORTS = new Map<string, Transport>();

export function registerTransport(t: Transport): void {
  TRANSPORTS.set(t.name, t);
}

for (const t of [ociTransport, ociArchiveTransport, dockerArchiveTransport, dockerTransport, dirTransport]) registerTransport(t);

export function transportNames(): string[] {
  return [...TRANSPORTS.keys()].sort();
}

export function getTransport(name: string): Transport | undefined {
  return TRANSPORTS.get(name);
}

/** Parses `oci:PATH[:REF]`, `docker://HOST/REPO:TAG`, … into an ImageReference. */
export function parseImageName(name: string): ImageReference {
  const i = name.indexOf(':');
  if (i <= 0) {
    throw new ImgsealError('INVALID_REFERENCE', `invalid image name "${name}": expected TRANSPORT:REFERENCE (transports: ${transportNames().join(', ')})`);
  }
  const transport = TRANSPORTS.get(name.slice(0, i));
  if (!transport) {
    throw new ImgsealError('UNKNOWN_TRANSPORT', `unknown transport "${name.slice(0, i)}" in "${name}" (known: ${transportNames().join(', ')})`);
  }
  return transport.parseReference(name.slice(i + 1));
}
