/**
 * The transport interface: how the copy pipeline reads and writes images wherever
 * they live (OCI layout, archive, registry). A transport is a small plug-in that parses
 * a reference and opens a source or a destination; everything else (encryption,
 * verification, progress) is the pipeline's job and works the same for every transport.
 */
import type { Readable } from 'node:stream';
import type { Digest } from '../model/digest.js';
import type { Descriptor } from '../model/descriptor.js';
import type { SystemContext } from './context.js';

export interface Transport {
  /** The prefix before the first colon: `oci`, `docker`, `oci-archive`, `docker-archive`. */
  readonly name: string;
  /** Parses what follows `name:` (for docker, what follows `docker:`, i.e. `//host/repo:tag`). */
  parseReference(rest: string): ImageReference;
}

export interface ImageReference {
  readonly transport: Transport;
  /** The full user-facing name, `transport:rest`, for messages. */
  toString(): string;
  /**
   * The fully expanded docker reference this image is known by (`host/repo:tag` or
   * `host/repo@digest`), for transports with a docker identity; what signatures name.
   */
  readonly dockerReference?: string;
  newImageSource(ctx: SystemContext): Promise<ImageSource>;
  newImageDestination(ctx: SystemContext): Promise<ImageDestination>;
}

/** A manifest or index as stored: the exact bytes (their digest is the image's identity). */
export interface ManifestBlob {
  bytes: Buffer;
  mediaType: string;
  digest: Digest;
}

/**
 * A signature as stored next to an image, not yet verified: nothing in it may be
 * trusted (or even parsed as more than its container format) before the policy's
 * verification accepted it.
 */
export type UntrustedSignature =
  /** A simple-signing blob: an OpenPGP signed message holding the JSON payload. */
  | { kind: 'simple-signing'; untrustedBlob: Buffer }
  /** A sigstore (cosign-format) signature: payload bytes plus the layer's annotations. */
  | { kind: 'sigstore'; mimeType: string; untrustedPayload: Buffer; untrustedAnnotations: Record<string, string> };

/**
 * Reads one image (or index). The source does not verify digests of what it returns:
 * the pipeline verifies every byte it uses, so that verification cannot be forgotten
 * by one transport.
 */
export interface ImageSource {
  readonly reference: ImageReference;
  /**
   * Without `instance`: the manifest or index the reference names.
   * With `instance`: a manifest the top-level index refers to, by digest.
   */
  getManifest(instance?: Digest): Promise<ManifestBlob>;
  /** Opens a blob as a stream; `desc.size` may be used for progress and range resumes. */
  getBlob(desc: Descriptor, opts?: { signal?: AbortSignal }): Promise<Readable>;
  /**
   * Optional: reads a small blob (at most SMALL_BLOB bytes) whole, as bytes. A copy of
   * many small blobs costs per-blob overhead, not bandwidth; without streams in
   * between, each such blob is a read and a write. Checking the digest is the caller's job.
   */
  getBlobBytes?(desc: Descriptor, opts?: { signal?: AbortSignal }): Promise<Buffer>;
  /**
   * Optional: opens a blob for positioned reads into the caller's buffers (a file-based
   * source). With a destination that offers putBlobChunks, large blobs then move without
   * streams and without a new buffer per read (copy/pump-blob.ts).
   */
  openBlobReader?(desc: Descriptor): Promise<BlobReader>;
  /**
   * Optional: the signatures stored for the manifest with this digest (the top level's
   * or an instance's), in storage order. A transport without signature storage leaves
   * it out; the shared default (capabilities.ts) then answers "none".
   */
  getSignatures?(manifestDigest: Digest, opts?: { signal?: AbortSignal }): Promise<UntrustedSignature[]>;
  close(): Promise<void>;
}

/** Positioned reads of one blob (ImageSource.openBlobReader). */
export interface BlobReader {
  /** Reads up to `length` bytes at byte `position` into `buffer` from 0; resolves with the count (0 at the end). */
  read(buffer: Buffer, length: number, position: number): Promise<number>;
  close(): Promise<void>;
}

/**
 * A blob's bytes, pulled chunk by chunk (ImageDestination.putBlobChunks). `next()`
 * resolves with the next chunk, or null once the blob has ended *and every check of
 * the copy passed*; it rejects when a check failed, and the destination must then
 * discard what it staged. A chunk stays valid until the second call of `next()` after
 * the one that returned it (so one write may be in flight while the next is pulled);
 * after that its memory is reused.
 */
export interface BlobChunks {
  next(): Promise<Buffer | null>;
}

export interface PutBlobInfo {
  /** When known in advance (plain copies), the destination may use it; it is verified. */
  digest?: Digest;
  size?: number;
  mediaType: string;
}

export interface PutBlobResult {
  digest: Digest;
  size: number;
}

/**
 * Writes one image. Call order (part of the contract):
 *   tryReuseBlob / putBlob for every blob (any order, possibly concurrently)
 *   → putManifest for child manifests, then for the top-level manifest or index
 *   → putSignatures (per manifest digest, when the destination stores signatures)
 *   → commit → close.
 * Nothing becomes visible under the reference before commit; close without commit
 * discards everything staged, so a failed copy leaves the destination as it was.
 */
export interface ImageDestination {
  readonly reference: ImageReference;
  /** Manifest media types this destination can store; undefined = any. */
  readonly supportedManifestMediaTypes?: readonly string[];
  /** How many blobs may be written at once. */
  readonly maxParallelBlobs: number;
  /**
   * Optional: tells the destination which image the blobs come from, so it can take
   * them without copying bytes (a registry mounts blobs from another repository on the
   * same registry). tryReuseBlob then answers true for blobs it could link.
   */
  acceptBlobsFrom?(source: ImageReference): void;
  /** True when the blob is already present (then it need not be written). */
  tryReuseBlob(desc: Descriptor): Promise<boolean>;
  /**
   * Streams a blob in. The destination hashes what it receives; when `info.digest` is
   * given and differs, it fails with DIGEST_MISMATCH. A stream that errors (for
   * example because a decrypted layer failed its HMAC check at the end) leaves nothing
   * behind: bytes become part of the image only after the stream ended cleanly.
   */
  putBlob(stream: Readable, info: PutBlobInfo, opts?: { signal?: AbortSignal }): Promise<PutBlobResult>;
  /**
   * Optional: stores a small blob given whole (see ImageSource.getBlobBytes), with the
   * same contract as putBlob: verified against `info.digest` and `info.size` when given,
   * and nothing is left behind when it fails.
   */
  putBlobBytes?(bytes: Buffer, info: PutBlobInfo, opts?: { signal?: AbortSignal }): Promise<PutBlobResult>;
  /**
   * Optional: stores a blob pulled from `chunks`, with the same contract as putBlob
   * (hashed and verified against `info`; nothing left behind when `next()` rejects).
   */
  putBlobChunks?(chunks: BlobChunks, info: PutBlobInfo, opts?: { signal?: AbortSignal }): Promise<PutBlobResult>;
  /**
   * Stores a manifest or index. `topLevel` is true for the one the reference names (it is
   * the last manifest written); child manifests of an index are written first.
   */
  putManifest(blob: ManifestBlob, opts: { topLevel: boolean }): Promise<void>;
  /**
   * Optional: stores the complete list of signatures for a manifest written before.
   * A destination that cannot store signatures leaves it out; the pipeline asks
   * canStoreSignatures() (capabilities.ts) before copying or making any. Like every
   * other write, nothing is visible before commit where the store allows it.
   */
  putSignatures?(manifestDigest: Digest, signatures: UntrustedSignature[], opts?: { signal?: AbortSignal }): Promise<void>;
  /**
   * Optional: fails (before anything is written) when signatures of one of these kinds
   * cannot be stored here, e.g. sigstore attachments a registry's registries.d scope
   * does not enable. Without it, putSignatures stores every kind.
   */
  checkSignatureKinds?(kinds: readonly UntrustedSignature['kind'][]): Promise<void>;
  /** Makes the image visible under the reference (index.json, archive file, tag). */
  commit(): Promise<void>;
  close(): Promise<void>;
}
