/**
 * Sigstore signatures as registry attachments (spec §4.1–§4.2), read and written as
 * containers/image does when registries.d sets `use-sigstore-attachments`: an OCI
 * manifest tagged `sha256-<hex>.sig` in the image's repository, one layer per signature
 * (the payload blob; the signature and any certificate in the layer's annotations) and a
 * config listing the layer digests as diff_ids. Writing merges with an existing `.sig`
 * manifest: a signature whose layer (media type, size, digest, annotations) is already
 * there is skipped. The manifest and config bytes are what containers/image writes
 * (compact JSON, its member order; annotation keys sorted, as Go marshals maps).
 */
import { ImgsealError } from '../../errors.js';
import { sha256Digest, type Digest } from '../../model/digest.js';
import { MediaType } from '../../model/media-types.js';
import { discard } from '../../http/index.js';
import { parseStrictJson } from '../../util/strict-json.js';
import type { ManifestBlob, PutBlobInfo, PutBlobResult, UntrustedSignature } from '../types.js';
import type { RegistryClient } from './client.js';
import type { ParsedDockerReference } from './reference.js';

/** containers/image's iolimits.MaxSignatureBodySize, for each attachment blob. */
export const MAX_ATTACHMENT_BLOB = 4 << 20;
const MAX_ATTACHMENT_MANIFEST = 4 << 20;

type SigstoreSignature = Extract<UntrustedSignature, { kind: 'sigstore' }>;

interface LayerDescriptor {
  mediaType: string;
  digest: Digest;
  size: number;
  annotations: Record<string, string>;
}

interface Attachment {
  config: Record<string, unknown>;
  layers: LayerDescriptor[];
}

/** `sha256:<hex>` → `sha256-<hex>.sig`. */
export function attachmentTag(manifestDigest: Digest): string {
  return `${manifestDigest.replace(':', '-')}.sig`;
}

function malformed(what: string, why: string): ImgsealError {
  return new ImgsealError('MANIFEST_INVALID', `${what}: ${why}`);
}

function sortedStringMap(m: Record<string, string>): Record<string, string> {
  const out: Record<string, string> = {};
  for (const k of Object.keys(m).sort()) out[k] = m[k] as string;
  return out;
}

/** The manifest bytes containers/image writes (json.Marshal of imgspecv1.Manifest). */
export function attachmentManifestBytes(config: { digest: Digest; size: number }, layers: LayerDescriptor[]): Buffer {
  return Buffer.from(
    JSON.stringify({
      schemaVersion: 2,
      mediaType: MediaType.ociManifest,
      config: { mediaType: MediaType.ociConfig, digest: config.digest, size: config.size },
      layers: layers.map((l) => ({ mediaType: l.mediaType, digest: l.digest, size: l.size, ...(Object.keys(l.annotations).length ? { annotations: sortedStringMap(l.annotations) } : {}) })),
    }),
    'utf8',
  );
}

/** The config of a new attachment: {"architecture":"","os":"","config":{},"rootfs":{…}}. */
function newConfig(): Record<string, unknown> {
  return { architecture: '', os: '', config: {}, rootfs: { type: 'layers', diff_ids: [] } };
}

function parseLayers(doc: Record<string, unknown>, what: string): LayerDescriptor[] {
  if (!Array.isArray(doc.layers)) throw malformed(what, 'no layers array');
  return doc.layers.map((l: unknown, i) => {
    const o = l as Record<string, unknown>;
    if (typeof o !== 'object' || o === null || typeof o.mediaType !== 'string' || typeof o.digest !== 'string' || !/^sha256:[0-9a-f]{64}$/.test(o.digest) || typeof o.size !== 'number' || !Number.isInteger(o.size) || o.size < 0) {
      throw malformed(what, `layer ${i} is not a descriptor with mediaType, sha256 digest and size`);
    }
    const annotations: Record<string, string> = {};
    if (o.annotations !== undefined && o.annotations !== null) {
      if (typeof o.annotations !== 'object' || Array.isArray(o.annotations)) throw malformed(what, `layer ${i} annotations are not an object`);
      for (const [k, v] of Object.entries(o.annotations)) {
        if (typeof v !== 'string') throw malformed(what, `layer ${i} annotation ${k} is not a string`);
        annotations[k] = v;
      }
    }
    return { mediaType: o.mediaType, digest: o.digest as Digest, size: o.size, annotations };
  });
}

export class SigstoreAttachments {
  constructor(
    private readonly ref: ParsedDockerReference,
    private readonly client: RegistryClient,
  ) {}

  private get name(): string {
    return `${this.ref.domain}/${this.ref.repository}`;
  }

  /** A blob of at most 4 MiB whose bytes hash to `digest`. */
  private async blob(digest: Digest, size: number | undefined, what: string, signal?: AbortSignal): Promise<Buffer> {
    if (size !== undefined && size > MAX_ATTACHMENT_BLOB) throw new ImgsealError('SIZE_MISMATCH', `${what}: ${size} bytes, more than the ${MAX_ATTACHMENT_BLOB} allowed for a signature`);
    const { bytes } = await this.client.fetchBytes({ method: 'GET', path: `/v2/${this.ref.repository}/blobs/${digest}`, what, expect: [200], ...(signal ? { signal } : {}) }, MAX_ATTACHMENT_BLOB);
    if (sha256Digest(bytes) !== digest) throw new ImgsealError('DIGEST_MISMATCH', `${what}: the registry sent bytes with digest ${sha256Digest(bytes)}`);
    if (size !== undefined && bytes.length !== size) throw new ImgsealError('SIZE_MISMATCH', `${what}: ${bytes.length} bytes, the manifest says ${size}`);
    return bytes;
  }

  /** The `.sig` manifest's layers (and its config when `withConfig`), or undefined when there is none. */
  private async fetch(manifestDigest: Digest, withConfig: boolean, signal?: AbortSignal): Promise<Attachment | undefined> {
    const tag = attachmentTag(manifestDigest);
    const what = `reading sigstore attachment ${tag} in ${this.name}`;
    const { res, bytes } = await this.client.fetchBytes(
      { method: 'GET', path: `/v2/${this.ref.repository}/manifests/${tag}`, headers: { accept: MediaType.ociManifest }, what, expect: [200, 404], ...(signal ? { signal } : {}) },
      MAX_ATTACHMENT_MANIFEST,
    );
    // distribution answers MANIFEST_UNKNOWN (404) for a digest nobody signed this way.
    if (res.statusCode === 404) return undefined;
    const contentType = String(res.headers['content-type'] ?? '').split(';')[0]?.trim();
    if (contentType !== MediaType.ociManifest) throw new ImgsealError('UNSUPPORTED_MEDIA_TYPE', `${what}: unexpected MIME type for sigstore attachment manifest "${contentType ?? ''}"`);
    let doc: Record<string, unknown>;
    try {
      doc = parseStrictJson(bytes.toString('utf8')) as Record<string, unknown>;
    } catch (err) {
      throw malformed(what, `not JSON (${(err as Error).message})`);
    }
    if (typeof doc !== 'object' || doc === null || Array.isArray(doc)) throw malformed(what, 'not a JSON object');
    const layers = parseLayers(doc, what);
    if (!withConfig) return { config: {}, layers };
    const c = doc.config as Record<string, unknown> | undefined;
    if (typeof c !== 'object' || c === null || typeof c.digest !== 'string' || !/^sha256:[0-9a-f]{64}$/.test(c.digest)) throw malformed(what, 'no config descriptor');
    const configBytes = await this.blob(c.digest as Digest, typeof c.size === 'number' ? c.size : undefined, `reading the config of sigstore attachment ${tag} in ${this.name}`, signal);
    let config: unknown;
    try {
      config = parseStrictJson(configBytes.toString('utf8'));
    } catch (err) {
      throw malformed(what, `its config is not JSON (${(err as Error).message})`);
    }
    if (typeof config !== 'object' || config === null || Array.isArray(config)) throw malformed(what, 'its config is not a JSON object');
    return { config: config as Record<string, unknown>, layers };
  }

  /** The signatures attached to `manifestDigest`, one per layer, in layer order (none without a `.sig` tag). */
  async read(manifestDigest: Digest, signal?: AbortSignal): Promise<UntrustedSignature[]> {
    const att = await this.fetch(manifestDigest, false, signal);
    if (!att) return [];
    const tag = attachmentTag(manifestDigest);
    const out: UntrustedSignature[] = [];
    for (const [i, l] of att.layers.entries()) {
      const payload = await this.blob(l.digest, l.size, `reading signature ${i + 1} of sigstore attachment ${tag} in ${this.name}`, signal);
      out.push({ kind: 'sigstore', mimeType: l.mediaType, untrustedPayload: payload, untrustedAnnotations: l.annotations });
    }
    return out;
  }

  /**
   * Uploads the blobs (payloads, then the config) of the `.sig` manifest that holds the
   * existing attachment plus `signatures`, and returns that manifest for tagging later;
   * undefined when every signature is there already. Nothing is tagged here.
   */
  async stage(
    manifestDigest: Digest,
    signatures: SigstoreSignature[],
    putBlob: (bytes: Buffer, info: PutBlobInfo) => Promise<PutBlobResult>,
    signal?: AbortSignal,
  ): Promise<ManifestBlob | undefined> {
    const existing = await this.fetch(manifestDigest, true, signal);
    const config = existing?.config ?? newConfig();
    const layers = [...(existing?.layers ?? [])];
    const rootfs = (config.rootfs ??= { type: 'layers', diff_ids: [] }) as Record<string, unknown>;
    if (typeof rootfs !== 'object' || rootfs === null) throw malformed(`sigstore attachment ${attachmentTag(manifestDigest)} in ${this.name}`, 'its config has no rootfs object');
    if (!Array.isArray(rootfs.diff_ids)) rootfs.diff_ids = [];
    const diffIds = rootfs.diff_ids as unknown[];
    let added = 0;
    for (const sig of signatures) {
      const layer: LayerDescriptor = { mediaType: sig.mimeType, digest: sha256Digest(sig.untrustedPayload), size: sig.untrustedPayload.length, annotations: sig.untrustedAnnotations };
      if (layers.some((l) => sameLayer(l, layer))) continue;
      await putBlob(sig.untrustedPayload, { digest: layer.digest, size: layer.size, mediaType: layer.mediaType });
      layers.push(layer);
      diffIds.push(layer.digest);
      added++;
    }
    if (added === 0) return undefined;
    const configBytes = Buffer.from(JSON.stringify(config), 'utf8');
    const configDigest = sha256Digest(configBytes);
    await putBlob(configBytes, { digest: configDigest, size: configBytes.length, mediaType: MediaType.ociConfig });
    const bytes = attachmentManifestBytes({ digest: configDigest, size: configBytes.length }, layers);
    return { bytes, mediaType: MediaType.ociManifest, digest: sha256Digest(bytes) };
  }

  /** Tags a staged `.sig` manifest. */
  async tag(manifestDigest: Digest, manifest: ManifestBlob, signal?: AbortSignal): Promise<void> {
    const tag = attachmentTag(manifestDigest);
    const res = await this.client.request({
      method: 'PUT',
      path: `/v2/${this.ref.repository}/manifests/${tag}`,
      headers: { 'content-type': manifest.mediaType },
      body: manifest.bytes,
      what: `writing sigstore attachment ${tag} to ${this.name}`,
      expect: [200, 201, 202, 204],
      ...(signal ? { signal } : {}),
    });
    await discard(res.body);
  }
}

function sameLayer(a: LayerDescriptor, b: LayerDescriptor): boolean {
  if (a.mediaType !== b.mediaType || a.size !== b.size || a.digest !== b.digest) return false;
  const ka = Object.keys(a.annotations);
  return ka.length === Object.keys(b.annotations).length && ka.every((k) => b.annotations[k] === a.annotations[k]);
}
