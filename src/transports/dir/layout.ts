/**
 * The `dir:` format of containers/image (skopeo's directory transport), version 1.1:
 *   version                      "Directory Transport Version: 1.1\n"
 *   manifest.json                the manifest or index the reference names
 *   HEX.manifest.json            the manifests of an index's images, by digest
 *   HEX                          every blob, by the hex of its sha256 digest
 *                                (other algorithms: ALG-HEX)
 *   signature-N                  signatures of manifest.json, N = 1, 2, … (spec §2.4)
 *   HEX.signature-N              signatures of an index's image
 */
import { join } from 'node:path';
import { parseDigest, type Digest } from '../../model/digest.js';

export const DIR_VERSION = 'Directory Transport Version: 1.1\n';
export const VERSION_FILE = 'version';
export const MANIFEST_FILE = 'manifest.json';

function encoded(d: Digest): string {
  const { algorithm, hex } = parseDigest(d);
  return algorithm === 'sha256' ? hex : `${algorithm}-${hex}`;
}

export function dirBlobPath(dir: string, d: Digest): string {
  return join(dir, encoded(d));
}

/** manifest.json, or the file of one image of an index. */
export function dirManifestPath(dir: string, instance?: Digest): string {
  return join(dir, instance ? `${encoded(instance)}.manifest.json` : MANIFEST_FILE);
}

/** Signature number `n` (1-based) of manifest.json, or of one image of an index. */
export function dirSignaturePath(dir: string, n: number, instance?: Digest): string {
  return join(dir, instance ? `${encoded(instance)}.signature-${n}` : `signature-${n}`);
}
