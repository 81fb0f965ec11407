/**
 * Blobs written into a staging folder under their content address, the way every
 * file-based destination stages them: streamed (or, small, written whole) to a
 * temporary name while hashed, renamed into place only once verified. Writes under
 * way are tracked so that the owner can wait for them before removing the folder.
 */
import type { Readable } from 'node:stream';
import type { Digest } from '../../model/digest.js';
import type { BlobChunks, PutBlobInfo, PutBlobResult } from '../types.js';
import { InFlight } from './in-flight.js';
import { moveIntoPlace, writeVerifiedBytes, writeVerifiedChunks, writeVerifiedTemp } from './staged-blob.js';

export class BlobStager {
  /** Staged blobs and their sizes. */
  private readonly staged = new Map<Digest, number>();
  private readonly writes = new InFlight();

  /**
   * @param tmpDir where blobs are written before they are verified
   * @param pathOf where a verified blob goes (same file system as tmpDir)
   */
  constructor(
    private readonly tmpDir: string,
    private readonly pathOf: (digest: Digest) => string,
  ) {}

  has(digest: Digest): boolean {
    return this.staged.has(digest);
  }

  size(digest: Digest): number | undefined {
    return this.staged.get(digest);
  }

  /** Every blob staged so far. */
  digests(): Digest[] {
    return [...this.staged.keys()];
  }

  put(stream: Readable, info: PutBlobInfo, signal?: AbortSignal): Promise<PutBlobResult> {
    return this.writes.track(this.place(writeVerifiedTemp(stream, this.tmpDir, info, signal)));
  }

  putChunks(chunks: BlobChunks, info: PutBlobInfo, signal?: AbortSignal): Promise<PutBlobResult> {
    return this.writes.track(this.place(writeVerifiedChunks(chunks, this.tmpDir, info, signal)));
  }

  putBytes(bytes: Buffer, info: PutBlobInfo): Promise<PutBlobResult> {
    return this.writes.track(this.place(writeVerifiedBytes(bytes, this.tmpDir, info)));
  }

  /** Resolves once no write is under way. */
  settled(): Promise<void> {
    return this.writes.settled();
  }

  private async place(written: Promise<PutBlobResult & { tempPath: string }>): Promise<PutBlobResult> {
    const res = await written;
    await moveIntoPlace(res.tempPath, this.pathOf(res.digest));
    this.staged.set(res.digest, res.size);
    return { digest: res.digest, size: res.size };
  }
}
