/**
 * The size limits imgseal applies to what it reads into memory, in one place so that
 * every transport and loader refuses the same inputs. Each is enforced while reading
 * (never by reading everything and measuring afterwards).
 */

/**
 * Every manifest and image index, from any transport (oci: index.json and manifest
 * blobs, dir:, archives, registries): containers/image's limit for a manifest body
 * (iolimits.MaxManifestBodySize), so what skopeo reads, we read.
 */
export const MANIFEST_SIZE_LIMIT = 4 << 20;

/**
 * Key files: public and private keys (PEM, DER, JWK, OpenPGP keyrings, certificates)
 * and password files. Real ones are a few KiB; this refuses `/dev/zero`-like inputs
 * long before they cost memory.
 */
export const KEY_FILE_SIZE_LIMIT = 1 << 20;

/**
 * Blobs up to this size (configs, most small layers) move as whole buffers, run under
 * the small-blob concurrency and go to a registry in one monolithic PUT: one threshold
 * for all three decisions.
 */
export const SMALL_BLOB_LIMIT = 1 << 20;
