/**
 * Choosing the image an `index.json` entry names, for the transports that store an OCI
 * layout (the `oci:` folder and the `oci-archive:` tar): REF picks by
 * `org.opencontainers.image.ref.name`; without REF there must be exactly one image.
 */
import { ImgsealError } from '../../errors.js';
import { REF_NAME_ANNOTATION, type Descriptor } from '../../model/descriptor.js';

export interface SelectImageOptions {
  /** The reference, for messages (`oci:/path:ref`). */
  where: string;
  /** What holds the images, for messages: `layout` or `archive`. */
  container: string;
  /** How to name one, for the "several images" message (`oci:DIR:REF`). */
  nameHint: string;
  /** Whether two entries with the same ref name are an error (else the first wins). */
  refuseDuplicateNames: boolean;
}

export function selectImage(manifests: readonly Descriptor[], refName: string | undefined, o: SelectImageOptions): Descriptor {
  if (refName === undefined) {
    if (manifests.length === 1) return manifests[0] as Descriptor;
    if (manifests.length === 0) throw new ImgsealError('IMAGE_NOT_FOUND', `${o.where}: the ${o.container} holds no image`);
    throw new ImgsealError('AMBIGUOUS_IMAGE', `${o.where}: the ${o.container} holds ${manifests.length} images; name one as ${o.nameHint}${names(manifests)}`);
  }
  const found = manifests.filter((m) => m.annotations?.[REF_NAME_ANNOTATION] === refName);
  if (found.length === 0) throw new ImgsealError('IMAGE_NOT_FOUND', `${o.where}: no image named "${refName}" in the ${o.container}${names(manifests)}`);
  if (found.length > 1 && o.refuseDuplicateNames) throw new ImgsealError('AMBIGUOUS_IMAGE', `${o.where}: ${found.length} images are named "${refName}"`);
  return found[0] as Descriptor;
}

function names(manifests: readonly Descriptor[]): string {
  const n = manifests.map((m) => m.annotations?.[REF_NAME_ANNOTATION]).filter((x): x is string => x !== undefined);
  return n.length ? ` (it has: ${n.join(', ')})` : '';
}
