/**
 * The staging folder both archive destinations write into before commit. It lives next
 * to the target file (same file system, so the final rename is atomic) and is removed on
 * close, whether the copy committed or not; one a killed writer left is removed by the
 * next writer of the same target.
 *
 * A blob is hashed while it streams to a private temp file and is moved to its
 * content-addressed name only after the stream ended cleanly and the digest matched:
 * a stream that fails half-way (a decryption whose HMAC fails at the end, an abort)
 * leaves nothing behind.
 */
import { mkdir, rename, rm, stat } from 'node:fs/promises';
import { ownedName, removeStaleLeftovers } from '../../util/lock/index.js';
import { BlobStager } from '../common/blob-stager.js';
import { basename, dirname, join, resolve } from 'node:path';
import type { Readable } from 'node:stream';
import { ImgsealError, asImgsealError } from '../../errors.js';
import { parseDigest, type Digest } from '../../model/digest.js';
import type { PutBlobInfo, PutBlobResult } from '../types.js';
import { writeTar, type TarInput } from './tar-write.js';

export class BlobStage {
  readonly dir: string;
  private readonly target: string;
  private removed = false;
  private readonly stager: BlobStager;

  private constructor(dir: string, target: string) {
    this.dir = dir;
    this.target = target;
    this.stager = new BlobStager(join(dir, 'incoming'), (d) => this.blobPath(d));
  }

  /**
   * Creates `.<name>.imgseal-PID.TOKEN-RANDOM/` beside `target`, first removing the
   * staging folders of writers that were killed (their owner is gone; see util/lock).
   */
  static async create(target: string): Promise<BlobStage> {
    const abs = resolve(target);
    const prefix = `.${basename(abs)}.imgseal-`;
    let dir: string;
    try {
      await removeStaleLeftovers(dirname(abs), [prefix]);
      dir = join(dirname(abs), ownedName(prefix));
      await mkdir(dir, { mode: 0o700 });
      await mkdir(join(dir, 'incoming'));
    } catch (err) {
      throw asImgsealError(err, 'IO_ERROR', `cannot create staging folder beside ${abs}`);
    }
    return new BlobStage(dir, abs);
  }

  /** Where a staged blob lives (content-addressed). */
  blobPath(d: Digest): string {
    const { algorithm, hex } = parseDigest(d);
    return join(this.dir, 'blobs', algorithm, hex);
  }

  has(d: Digest): boolean {
    return this.stager.has(d);
  }

  size(d: Digest): number | undefined {
    return this.stager.size(d);
  }

  /** Every staged blob, sorted by digest (archives list them in a stable order). */
  digests(): Digest[] {
    return this.stager.digests().sort();
  }

  putBlob(stream: Readable, info: PutBlobInfo, signal?: AbortSignal): Promise<PutBlobResult> {
    return this.staged(this.stager.put(stream, info, signal), signal);
  }

  /** Stores small data (a manifest) as a blob under the digest the caller computed. */
  async putBytes(bytes: Buffer, d: Digest): Promise<void> {
    await this.staged(this.stager.putBytes(bytes, { digest: d, size: bytes.length, mediaType: '' }));
  }

  private async staged(write: Promise<PutBlobResult>, signal?: AbortSignal): Promise<PutBlobResult> {
    try {
      return await write;
    } catch (err) {
      if (signal?.aborted) throw new ImgsealError('ABORTED', 'blob upload aborted', { cause: err });
      throw asImgsealError(err, 'IO_ERROR', 'writing blob to archive staging');
    }
  }

  /**
   * Writes the archive into the staging folder, then renames it over the target: readers
   * see the old file or the complete new one, never a partial archive.
   */
  async commitArchive(entries: readonly TarInput[]): Promise<void> {
    const tmp = join(this.dir, 'archive.tar');
    try {
      await writeTar(tmp, entries);
      if ((await stat(this.target).catch(() => undefined))?.isDirectory()) {
        throw new ImgsealError('IO_ERROR', `${this.target} is a directory, cannot replace it with an archive`);
      }
      await rename(tmp, this.target);
    } catch (err) {
      throw asImgsealError(err, 'IO_ERROR', `writing archive ${this.target}`);
    }
  }

  async remove(): Promise<void> {
    if (this.removed) return;
    this.removed = true;
    await this.stager.settled();
    await rm(this.dir, { recursive: true, force: true });
  }
}
