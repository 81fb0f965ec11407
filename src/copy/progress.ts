/**
 * Progress reporting is a dependency of the copy pipeline: the pipeline tells a
 * ProgressSink what happens to each blob; the CLI renders it (bars on a TTY, plain
 * lines otherwise) and library users may pass their own or none.
 */
import type { Descriptor } from '../model/descriptor.js';

export type BlobAction = 'copy' | 'encrypt' | 'decrypt' | 'rewrap' | 'reencrypt' | 'reuse';

export interface ProgressSink {
  /** A blob starts moving; `total` is its source size when known. */
  blobStarted(desc: Descriptor, action: BlobAction): void;
  /** `bytes` more of the source blob have been read. */
  blobProgress(desc: Descriptor, bytes: number): void;
  /** The blob is stored (or was already there). */
  blobDone(desc: Descriptor, action: BlobAction): void;
  /** The blob failed; the copy will fail or retry. */
  blobFailed?(desc: Descriptor, err: unknown): void;
  /** Free-form notes for the user (e.g. "manifest written"). */
  note?(message: string): void;
}

export const silentProgress: ProgressSink = {
  blobStarted() {},
  blobProgress() {},
  blobDone() {},
};
