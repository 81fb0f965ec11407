import { ImgsealError } from '../errors.js';
import { isDigest, type Digest } from './digest.js';
import type { Platform } from './platform.js';

/** An OCI content descriptor. Field order here is the order we serialise (Go's struct order). */
export interface Descriptor {
  mediaType: string;
  digest: Digest;
  size: number;
  urls?: string[];
  annotations?: Record<string, string>;
  data?: string;
  platform?: Platform;
  artifactType?: string;
}

export const REF_NAME_ANNOTATION = 'org.opencontainers.image.ref.name';

/** Validates an untrusted JSON value as a descriptor; `where` names it in errors. */
export function parseDescriptor(value: unknown, where: string): Descriptor {
  if (typeof value !== 'object' || value === null) throw invalid(where, 'not an object');
  const v = value as Record<string, unknown>;
  if (typeof v.mediaType !== 'string') throw invalid(where, 'mediaType missing');
  if (!isDigest(v.digest)) throw invalid(where, `invalid digest ${JSON.stringify(v.digest)}`);
  if (typeof v.size !== 'number' || !Number.isSafeInteger(v.size) || v.size < 0) throw invalid(where, 'invalid size');
  if (v.annotations !== undefined) {
    if (typeof v.annotations !== 'object' || v.annotations === null) throw invalid(where, 'annotations is not an object');
    for (const [k, a] of Object.entries(v.annotations)) {
      if (typeof a !== 'string') throw invalid(where, `annotation ${k} is not a string`);
    }
  }
  return v as unknown as Descriptor;
}

function invalid(where: string, what: string): ImgsealError {
  return new ImgsealError('MANIFEST_INVALID', `${where}: invalid descriptor: ${what}`);
}

/**
 * A descriptor with its fields in Go's order and annotation keys sorted, so that
 * manifests we write are byte-for-byte what containers/image would write.
 */
export function canonicalDescriptor(d: Descriptor): Descriptor {
  const out: Record<string, unknown> = { mediaType: d.mediaType, digest: d.digest, size: d.size };
  for (const [k, v] of Object.entries(d)) {
    if (k === 'mediaType' || k === 'digest' || k === 'size' || v === undefined) continue;
    if (k === 'annotations') {
      const a = v as Record<string, string>;
      if (Object.keys(a).length === 0) continue;
      out.annotations = Object.fromEntries(Object.keys(a).sort().map((key) => [key, a[key]]));
    } else {
      out[k] = v;
    }
  }
  return out as unknown as Descriptor;
}
