import { ImgsealError } from '../errors.js';
import { isDigest, type Digest } from './digest.js';
import type { Platform } from './platform.js';
import { quoted } from '../util/quote.js';

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
  if (!isObject(value)) throw invalid(where, 'not an object');
  const v = value as Record<string, unknown>;
  if (typeof v.mediaType !== 'string') throw invalid(where, 'mediaType missing');
  if (!isDigest(v.digest)) throw invalid(where, `invalid digest ${quoted(v.digest)}`);
  if (typeof v.size !== 'number' || !Number.isSafeInteger(v.size) || v.size < 0) throw invalid(where, 'invalid size');
  if (v.annotations !== undefined) {
    if (!isObject(v.annotations)) throw invalid(where, 'annotations is not an object');
    for (const [k, a] of Object.entries(v.annotations)) {
      if (typeof a !== 'string') throw invalid(where, `annotation ${quoted(k)} is not a string`);
    }
  }
  // The optional fields are read by index selection, inspect and the archive writers:
  // their types are checked here, once, rather than wherever they are used.
  if (v.urls !== undefined && !isStringList(v.urls)) throw invalid(where, 'urls is not a list of strings');
  if (v.data !== undefined && typeof v.data !== 'string') throw invalid(where, 'data is not a string');
  if (v.artifactType !== undefined && typeof v.artifactType !== 'string') throw invalid(where, 'artifactType is not a string');
  if (v.platform !== undefined) checkPlatform(v.platform, where);
  return v as unknown as Descriptor;
}

function isObject(v: unknown): v is Record<string, unknown> {
  return typeof v === 'object' && v !== null && !Array.isArray(v);
}

function isStringList(v: unknown): v is string[] {
  return Array.isArray(v) && v.every((x) => typeof x === 'string');
}

/** The image spec's platform: os and architecture required, the rest optional strings. */
function checkPlatform(p: unknown, where: string): void {
  if (!isObject(p)) throw invalid(where, 'platform is not an object');
  if (typeof p.os !== 'string' || typeof p.architecture !== 'string') throw invalid(where, 'platform needs os and architecture strings');
  for (const k of ['variant', 'os.version'] as const) {
    if (p[k] !== undefined && typeof p[k] !== 'string') throw invalid(where, `platform ${k} is not a string`);
  }
  if (p['os.features'] !== undefined && !isStringList(p['os.features'])) throw invalid(where, 'platform os.features is not a list of strings');
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
