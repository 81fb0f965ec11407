import { ImgsealError } from '../errors.js';
import { parseDescriptor, type Descriptor } from './descriptor.js';
import { parseJsonObject } from './json.js';
import { isIndexMediaType, isManifestMediaType, MediaType } from './media-types.js';

/** An image manifest (OCI or Docker schema2). Unknown fields are kept so rewriting loses nothing. */
export interface ImageManifest {
  schemaVersion: 2;
  mediaType?: string;
  artifactType?: string;
  config: Descriptor;
  layers: Descriptor[];
  subject?: Descriptor;
  annotations?: Record<string, string>;
  [other: string]: unknown;
}

/** An image index (OCI) or manifest list (Docker). */
export interface ImageIndex {
  schemaVersion: 2;
  mediaType?: string;
  manifests: Descriptor[];
  annotations?: Record<string, string>;
  [other: string]: unknown;
}

export type ParsedManifest =
  | { kind: 'manifest'; mediaType: string; manifest: ImageManifest }
  | { kind: 'index'; mediaType: string; index: ImageIndex };

/**
 * Decides what a manifest blob is: by its own `mediaType` field, else by the type the
 * transport reported (descriptor or Content-Type), else by shape (OCI allows no field).
 */
export function detectManifestMediaType(bytes: Uint8Array, declared?: string): string {
  const doc = parseJson(bytes, 'manifest');
  if (typeof doc.mediaType === 'string' && (isIndexMediaType(doc.mediaType) || isManifestMediaType(doc.mediaType))) {
    return doc.mediaType;
  }
  if (declared && (isIndexMediaType(declared) || isManifestMediaType(declared))) return declared;
  if (Array.isArray(doc.manifests)) return MediaType.ociIndex;
  if (doc.config !== undefined && Array.isArray(doc.layers)) return MediaType.ociManifest;
  if (doc.schemaVersion === 1) {
    throw new ImgsealError('UNSUPPORTED_MEDIA_TYPE', 'Docker schema1 manifests are not supported');
  }
  throw new ImgsealError('MANIFEST_INVALID', 'manifest is neither an image manifest nor an index');
}

export function parseManifest(bytes: Uint8Array, declared?: string): ParsedManifest {
  const mediaType = detectManifestMediaType(bytes, declared);
  const doc = parseJson(bytes, 'manifest');
  if (doc.schemaVersion !== 2) throw new ImgsealError('MANIFEST_INVALID', `unsupported schemaVersion ${String(doc.schemaVersion)}`);
  if (isIndexMediaType(mediaType)) {
    if (!Array.isArray(doc.manifests)) throw new ImgsealError('MANIFEST_INVALID', 'index has no manifests list');
    doc.manifests.forEach((m: unknown, i: number) => parseDescriptor(m, `index manifests[${i}]`));
    return { kind: 'index', mediaType, index: doc as unknown as ImageIndex };
  }
  if (!Array.isArray(doc.layers)) throw new ImgsealError('MANIFEST_INVALID', 'manifest has no layers list');
  parseDescriptor(doc.config, 'manifest config');
  doc.layers.forEach((l: unknown, i: number) => parseDescriptor(l, `manifest layers[${i}]`));
  return { kind: 'manifest', mediaType, manifest: doc as unknown as ImageManifest };
}

/** Compact JSON, as containers/image writes manifests. */
export function serializeManifest(doc: ImageManifest | ImageIndex): Buffer {
  return Buffer.from(JSON.stringify(doc), 'utf8');
}

// eslint-disable-next-line @typescript-eslint/no-explicit-any -- validated field by field by the callers
function parseJson(bytes: Uint8Array, what: string): Record<string, any> {
  return parseJsonObject(bytes, what);
}
