/**
 * The legacy (pre-manifest.json) part of a `docker save` archive that containers/image
 * still writes: one `<id>/` folder per layer with VERSION, json and a `layer.tar` symlink,
 * and `repositories` mapping tags to the top layer's id. Old Docker versions load from
 * these; current ones read manifest.json and allocate their own ids.
 *
 * The ids follow containers/image's recipe (writeLegacyMetadataLocked): a chain of layer
 * digests, hashed together with a per-layer config. That config is a Go map, marshalled
 * with sorted keys and HTML-escaped strings; we reproduce that. Config attributes are
 * re-serialised from parsed JSON, which equals Go's compaction of what Go wrote (the
 * case in practice); an exotic config could give a different, still unique, id.
 */
import { ImgsealError } from '../../errors.js';
import { sha256Digest, type Digest } from '../../model/digest.js';
import type { TarInput } from './tar-write.js';

const TOP_LAYER_ATTRIBUTES = ['architecture', 'config', 'container', 'container_config', 'created', 'docker_version', 'os'];

export interface LegacyMetadata {
  entries: TarInput[];
  /** The top layer's id, which `repositories` points tags at ('' for an image without layers). */
  topLayerId: string;
}

export function legacyMetadata(layerDigests: readonly Digest[], configBytes: Buffer, physicalLayerPath: (d: Digest) => string): LegacyMetadata {
  let config: Record<string, unknown>;
  try {
    config = JSON.parse(configBytes.toString('utf8')) as Record<string, unknown>;
  } catch (err) {
    throw new ImgsealError('MANIFEST_INVALID', 'image config is not valid JSON', { cause: err });
  }
  const entries: TarInput[] = [];
  const seen = new Set<string>();
  let chainId = '';
  let lastId = '';
  layerDigests.forEach((digest, i) => {
    const layerConfig: Record<string, unknown> = {};
    if (lastId !== '') layerConfig.parent = lastId;
    if (i === layerDigests.length - 1) {
      for (const a of TOP_LAYER_ATTRIBUTES) layerConfig[a] = config[a] ?? null;
    }
    chainId = chainId === '' ? digest : sha256Digest(`${chainId} ${digest}`);
    const id = sha256Digest(goMarshal({ ...layerConfig, layer_id: chainId })).slice('sha256:'.length);
    layerConfig.id = id;
    if (!seen.has(id)) {
      seen.add(id);
      entries.push({ name: `${id}/layer.tar`, type: 'symlink', linkname: `../${physicalLayerPath(digest)}` });
      entries.push({ name: `${id}/VERSION`, type: 'file', bytes: Buffer.from('1.0'), mode: 0o444 });
      entries.push({ name: `${id}/json`, type: 'file', bytes: Buffer.from(goMarshal(layerConfig)), mode: 0o444 });
    }
    lastId = id;
  });
  return { entries, topLayerId: lastId };
}

/** Go's json.Marshal of a map[string]any: sorted top-level keys, HTML-safe escaping. */
export function goMarshal(m: Record<string, unknown>): string {
  const sorted = Object.fromEntries(Object.keys(m).sort().map((k) => [k, m[k]]));
  return JSON.stringify(sorted).replace(/[<>&\u2028\u2029]/g, (c) => `\\u${c.charCodeAt(0).toString(16).padStart(4, '0')}`);
}
