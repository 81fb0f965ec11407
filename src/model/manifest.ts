import { ImgsealError } from '../errors.js';
import { parseDescriptor, type Descriptor } from './descriptor.js';
import { parseJsonObject } from './json.js';
import { quoted } from '../util/quote.js';
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
export function detectManifestMediaType(bytes: Uint8Array, declared?: string, what?: string): string {
  const doc = parseJson(bytes, what ?? 'manifest');
  if (typeof doc.mediaType === 'string' && (isIndexMediaType(doc.mediaType) || isManifestMediaType(doc.mediaType))) {
    return doc.mediaType;
  }
  if (declared && (isIndexMediaType(declared) || isManifestMediaType(declared))) return declared;
  if (Array.isArray(doc.manifests)) return MediaType.ociIndex;
  if (doc.config !== undefined && Array.isArray(doc.layers)) return MediaType.ociManifest;
  if (doc.schemaVersion === 1) {
    throw new ImgsealError('UNSUPPORTED_MEDIA_TYPE', named(what, 'Docker schema1 manifests are not supported'));
  }
  throw new ImgsealError('MANIFEST_INVALID', what ? `${what} is neither an image manifest nor an index` : 'manifest is neither an image manifest nor an index');
}

/** `message`, prefixed with the name of the file or blob it is about when there is one. */
function named(what: string | undefined, message: string): string {
  return what ? `${what}: ${message}` : message;
}

/**
 * Parses and checks a manifest or index. `what` names the file or blob in every error
 * (e.g. the path of a layout's index.json); without it messages say "manifest".
 */
export function parseManifest(bytes: Uint8Array, declared?: string, what?: string): ParsedManifest {
  const mediaType = detectManifestMediaType(bytes, declared, what);
  const doc = parseJson(bytes, what ?? 'manifest');
  if (doc.schemaVersion !== 2) throw new ImgsealError('MANIFEST_INVALID', named(what, `unsupported schemaVersion ${typeof doc.schemaVersion === 'number' ? doc.schemaVersion : quoted(doc.schemaVersion)}`));
  if (isIndexMediaType(mediaType)) {
    if (!Array.isArray(doc.manifests)) throw new ImgsealError('MANIFEST_INVALID', named(what, 'index has no manifests list'));
    doc.manifests.forEach((m: unknown, i: number) => parseDescriptor(m, named(what, `index manifests[${i}]`)));
    return { kind: 'index', mediaType, index: doc as unknown as ImageIndex };
  }
  if (!Array.isArray(doc.layers)) throw new ImgsealError('MANIFEST_INVALID', named(what, 'manifest has no layers list'));
  parseDescriptor(doc.config, named(what, 'manifest config'));
  doc.layers.forEach((l: unknown, i: number) => parseDescriptor(l, named(what, `manifest layers[${i}]`)));
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
