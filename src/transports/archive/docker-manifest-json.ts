/** manifest.json of a `docker save` archive: [{Config, RepoTags, Layers}], strictly checked. */
import { ImgsealError } from '../../errors.js';
import { formatNamedTagged, parseNamedTagged, type NamedTagged } from './docker-name.js';

export interface ManifestItem {
  Config: string;
  RepoTags: string[];
  Layers: string[];
}

export function parseManifestJson(bytes: Buffer, where: string): ManifestItem[] {
  let v: unknown;
  try {
    v = JSON.parse(bytes.toString('utf8'));
  } catch (err) {
    throw new ImgsealError('MANIFEST_INVALID', `${where}: manifest.json is not valid JSON`, { cause: err });
  }
  if (!Array.isArray(v)) throw new ImgsealError('MANIFEST_INVALID', `${where}: manifest.json is not a list`);
  return v.map((item: unknown, i) => {
    const bad = (why: string) => new ImgsealError('MANIFEST_INVALID', `${where}: manifest.json item @${i}: ${why}`);
    if (typeof item !== 'object' || item === null) throw bad('not an object');
    const o = item as Record<string, unknown>;
    if (typeof o.Config !== 'string') throw bad('Config is not a string');
    const tags = o.RepoTags ?? []; // docker writes null for untagged images
    if (!Array.isArray(tags) || !tags.every((t) => typeof t === 'string')) throw bad('RepoTags is not a list of strings');
    if (!Array.isArray(o.Layers) || !o.Layers.every((l) => typeof l === 'string')) throw bad('Layers is not a list of strings');
    return { Config: o.Config, RepoTags: tags as string[], Layers: o.Layers as string[] };
  });
}

/** containers/image's rule: by RepoTag (both sides normalised), by @N, or the only item. */
export function chooseManifestItem(items: ManifestItem[], tagged: NamedTagged | undefined, sourceIndex: number | undefined, where: string): ManifestItem {
  if (tagged) {
    const want = formatNamedTagged(tagged);
    for (const [i, item] of items.entries()) {
      for (const t of item.RepoTags) {
        let have: string;
        try {
          have = formatNamedTagged(parseNamedTagged(t));
        } catch (err) {
          throw new ImgsealError('MANIFEST_INVALID', `${where}: invalid tag "${t}" in manifest.json item @${i}`, { cause: err });
        }
        if (have === want) return item;
      }
    }
    const all = items.flatMap((it) => it.RepoTags);
    throw new ImgsealError('IMAGE_NOT_FOUND', `${where}: tag "${want}" not found in the archive (tags: ${all.length ? all.join(', ') : 'none'})`);
  }
  if (sourceIndex !== undefined) {
    const item = items[sourceIndex];
    if (!item) throw new ImgsealError('IMAGE_NOT_FOUND', `${where}: no image @${sourceIndex}, the archive holds ${items.length}`);
    return item;
  }
  if (items.length === 0) throw new ImgsealError('IMAGE_NOT_FOUND', `${where}: the archive holds no image`);
  if (items.length > 1) {
    throw new ImgsealError('AMBIGUOUS_IMAGE', `${where}: the archive holds ${items.length} images; name one as docker-archive:FILE:name:tag or docker-archive:FILE:@N`);
  }
  return items[0] as ManifestItem;
}
