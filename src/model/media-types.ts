/** Media types of the OCI image spec, Docker schema2 and ocicrypt. */
export const MediaType = {
  ociManifest: 'application/vnd.oci.image.manifest.v1+json',
  ociIndex: 'application/vnd.oci.image.index.v1+json',
  ociConfig: 'application/vnd.oci.image.config.v1+json',
  ociLayerTar: 'application/vnd.oci.image.layer.v1.tar',
  ociLayerTarGzip: 'application/vnd.oci.image.layer.v1.tar+gzip',
  ociLayerTarZstd: 'application/vnd.oci.image.layer.v1.tar+zstd',
  ociLayerNondistTar: 'application/vnd.oci.image.layer.nondistributable.v1.tar',
  ociLayerNondistTarGzip: 'application/vnd.oci.image.layer.nondistributable.v1.tar+gzip',
  ociLayerNondistTarZstd: 'application/vnd.oci.image.layer.nondistributable.v1.tar+zstd',
  dockerManifest: 'application/vnd.docker.distribution.manifest.v2+json',
  dockerManifestList: 'application/vnd.docker.distribution.manifest.list.v2+json',
  dockerConfig: 'application/vnd.docker.container.image.v1+json',
  dockerLayerTarGzip: 'application/vnd.docker.image.rootfs.diff.tar.gzip',
  dockerLayerTar: 'application/vnd.docker.image.rootfs.diff.tar',
  dockerForeignLayerTarGzip: 'application/vnd.docker.image.rootfs.foreign.diff.tar.gzip',
  dockerForeignLayerTar: 'application/vnd.docker.image.rootfs.foreign.diff.tar',
} as const;

export const ENCRYPTED_SUFFIX = '+encrypted';

export function isIndexMediaType(mt: string | undefined): boolean {
  return mt === MediaType.ociIndex || mt === MediaType.dockerManifestList;
}

export function isManifestMediaType(mt: string | undefined): boolean {
  return mt === MediaType.ociManifest || mt === MediaType.dockerManifest;
}

export function isEncryptedMediaType(mt: string): boolean {
  return mt.endsWith(ENCRYPTED_SUFFIX);
}

/** The compression a layer media type says its blob has. */
export type LayerCompression = 'none' | 'gzip' | 'zstd' | 'unknown';

/** Compression of a (plaintext) layer type; `+encrypted` must be stripped first. */
export function layerCompression(mt: string): LayerCompression {
  switch (mt) {
    case MediaType.ociLayerTar:
    case MediaType.ociLayerNondistTar:
    case MediaType.dockerLayerTar:
    case MediaType.dockerForeignLayerTar:
      return 'none';
    case MediaType.ociLayerTarGzip:
    case MediaType.ociLayerNondistTarGzip:
    case MediaType.dockerLayerTarGzip:
    case MediaType.dockerForeignLayerTarGzip:
      return 'gzip';
    case MediaType.ociLayerTarZstd:
    case MediaType.ociLayerNondistTarZstd:
      return 'zstd';
    default:
      return 'unknown';
  }
}

/**
 * Docker schema2 layer types → their OCI equivalents, as containers/image converts
 * them before encrypting (spec §2.2): encryption only exists in OCI manifests.
 */
export function ociLayerMediaType(mt: string): string {
  switch (mt) {
    case MediaType.dockerLayerTarGzip:
      return MediaType.ociLayerTarGzip;
    case MediaType.dockerLayerTar:
      return MediaType.ociLayerTar;
    case MediaType.dockerForeignLayerTarGzip:
      return MediaType.ociLayerNondistTarGzip;
    case MediaType.dockerForeignLayerTar:
      return MediaType.ociLayerNondistTar;
    default:
      return mt;
  }
}

/**
 * Whether a layer of this type may be encrypted (containers/image's rule, spec §2.1):
 * the base before the first `+` is an OCI layer tar, and it is not encrypted yet.
 */
export function isEncryptableLayerMediaType(mt: string): boolean {
  if (isEncryptedMediaType(mt)) return false;
  const base = ociLayerMediaType(mt).split('+')[0];
  return base === MediaType.ociLayerTar || base === MediaType.ociLayerNondistTar || mt === 'application/vnd.wasm.content.layer.v1+wasm';
}

export function encryptedMediaType(mt: string): string {
  return ociLayerMediaType(mt) + ENCRYPTED_SUFFIX;
}

/** Strips the trailing `+encrypted` and nothing else (containers/image behaviour). */
export function decryptedMediaType(mt: string): string {
  return isEncryptedMediaType(mt) ? mt.slice(0, -ENCRYPTED_SUFFIX.length) : mt;
}
