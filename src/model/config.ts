import { ImgsealError } from '../errors.js';
import { isDigest, type Digest } from './digest.js';
import { parseJsonObject } from './json.js';

/** The parts of an image config we read; everything else is carried through untouched. */
export interface ImageConfig {
  architecture?: string;
  os?: string;
  variant?: string;
  rootfs?: { type: string; diff_ids: Digest[] };
  [other: string]: unknown;
}

export function parseImageConfig(bytes: Uint8Array): ImageConfig {
  const c = parseJsonObject(bytes, 'image config') as ImageConfig;
  if (c.rootfs !== undefined) {
    if (typeof c.rootfs !== 'object' || c.rootfs === null || Array.isArray(c.rootfs)) {
      throw new ImgsealError('MANIFEST_INVALID', 'image config rootfs is not an object');
    }
    if (!Array.isArray(c.rootfs.diff_ids) || !c.rootfs.diff_ids.every(isDigest)) {
      throw new ImgsealError('MANIFEST_INVALID', 'image config rootfs.diff_ids is not a list of digests');
    }
  }
  for (const k of ['architecture', 'os', 'variant'] as const) {
    if (c[k] !== undefined && typeof c[k] !== 'string') throw new ImgsealError('MANIFEST_INVALID', `image config ${k} is not a string`);
  }
  return c;
}
