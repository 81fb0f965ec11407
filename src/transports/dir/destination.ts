/**
 * Writes a `dir:` folder without ever leaving it half-written. containers/image empties
 * an existing image folder first and writes in place; we stage the new image in a
 * sibling folder and swap it in at commit, so a failed copy leaves the old image (or
 * no folder) as it was. As containers/image, a non-empty folder that is not a `dir:`
 * image (no matching `version` file) is never overwritten.
 *
 * Writers of one folder take turns at commit (a lock file beside it; the target is
 * looked at again under the lock), so the last copy wins whole. Staging folders carry
 * their owner (see util/lock): the next writer removes a killed writer's, and puts back
 * an old image a writer killed mid-swap had moved aside.
 */
import { mkdir, readdir, readFile, rename, rm, rmdir, stat, writeFile } from 'node:fs/promises';
import { basename, dirname, join } from 'node:path';
import type { Readable } from 'node:stream';
import { ImgsealError } from '../../errors.js';
import type { Descriptor } from '../../model/descriptor.js';
import { BlobStager } from '../common/blob-stager.js';
import { lockTempPrefixes, ownedName, removeStaleLeftovers, withFileLock } from '../../util/lock/index.js';
import type { Digest } from '../../model/digest.js';
import { serializeStoredSignature } from '../../signature/storage-format.js';
import type { BlobChunks, ImageDestination, ImageReference, ManifestBlob, PutBlobInfo, PutBlobResult, UntrustedSignature } from '../types.js';
import { DIR_VERSION, dirBlobPath, dirManifestPath, dirSignaturePath, VERSION_FILE } from './layout.js';

type Existing = 'none' | 'empty' | 'image';

export class DirImageDestination implements ImageDestination {
  readonly maxParallelBlobs = 8;
  private readonly blobs: BlobStager;
  private committed = false;
  private topDigest: Digest | undefined;

  private constructor(
    readonly reference: ImageReference,
    private readonly dir: string,
    private readonly staging: string,
    private readonly signal: AbortSignal | undefined,
  ) {
    this.blobs = new BlobStager(join(staging, '.tmp'), (d) => dirBlobPath(staging, d));
  }

  /** `signal` ends a wait for the folder's lock (another writer swapping its image in). */
  static async open(reference: ImageReference, dir: string, opts: { signal?: AbortSignal } = {}): Promise<DirImageDestination> {
    await inspectTarget(reference, dir); // fail early; looked at again at commit
    await mkdir(dirname(dir), { recursive: true });
    await withFileLock(lockPath(dir), () => removeLeftovers(dir), { what: reference.toString(), signal: opts.signal });
    const staging = join(dirname(dir), ownedName(stagingPrefix(dir)));
    await mkdir(staging);
    return new DirImageDestination(reference, dir, staging, opts.signal);
  }

  async tryReuseBlob(desc: Descriptor): Promise<boolean> {
    // The folder holds one image, written afresh: only what this copy staged counts.
    return this.blobs.has(desc.digest);
  }

  putBlob(stream: Readable, info: PutBlobInfo, opts?: { signal?: AbortSignal }): Promise<PutBlobResult> {
    return this.blobs.put(stream, info, opts?.signal);
  }

  putBlobChunks(chunks: BlobChunks, info: PutBlobInfo, opts?: { signal?: AbortSignal }): Promise<PutBlobResult> {
    return this.blobs.putChunks(chunks, info, opts?.signal);
  }

  putBlobBytes(bytes: Buffer, info: PutBlobInfo): Promise<PutBlobResult> {
    return this.blobs.putBytes(bytes, info);
  }

  async putManifest(blob: ManifestBlob, opts: { topLevel: boolean }): Promise<void> {
    await writeFile(dirManifestPath(this.staging, opts.topLevel ? undefined : blob.digest), blob.bytes);
    if (opts.topLevel) this.topDigest = blob.digest;
  }

  /** Into the staged folder, so they appear with the image at commit. */
  async putSignatures(manifestDigest: Digest, signatures: UntrustedSignature[]): Promise<void> {
    const instance = manifestDigest === this.topDigest ? undefined : manifestDigest;
    for (const [i, sig] of signatures.entries()) {
      await writeFile(dirSignaturePath(this.staging, i + 1, instance), serializeStoredSignature(sig), { flag: 'wx' });
    }
  }

  async commit(): Promise<void> {
    await this.blobs.settled();
    await rm(join(this.staging, '.tmp'), { recursive: true, force: true });
    await writeFile(join(this.staging, VERSION_FILE), DIR_VERSION);
    const where = this.reference.toString();
    await withFileLock(lockPath(this.dir), () => this.swapIn(where), { what: where, signal: this.signal });
  }

  private async swapIn(where: string): Promise<void> {
    const existing = await inspectTarget(this.reference, this.dir);
    try {
      if (existing === 'image') {
        // Swap: the old image moves aside, the new one in, then the old one goes.
        const old = `${this.staging}-old`;
        await rename(this.dir, old);
        try {
          await rename(this.staging, this.dir);
        } catch (err) {
          await rename(old, this.dir).catch(() => {});
          throw err;
        }
        this.committed = true;
        await rm(old, { recursive: true, force: true });
        return;
      }
      if (existing === 'empty') await rmdir(this.dir);
      await rename(this.staging, this.dir);
      this.committed = true;
    } catch (err) {
      throw new ImgsealError('IO_ERROR', `${where}: could not put the image in place at ${this.dir}: ${(err as Error).message}`, { cause: err });
    }
  }

  async close(): Promise<void> {
    await this.blobs.settled();
    if (!this.committed) await rm(this.staging, { recursive: true, force: true });
  }
}

function stagingPrefix(dir: string): string {
  return `.${basename(dir)}.imgseal-`;
}

function lockPath(dir: string): string {
  return join(dirname(dir), `.${basename(dir)}.imgseal.lock`);
}

/**
 * Removes what killed writers left beside `dir` (call under the lock). An old image
 * moved aside by a writer killed before the new one went in is put back.
 */
async function removeLeftovers(dir: string): Promise<void> {
  const parent = dirname(dir);
  await removeStaleLeftovers(parent, lockTempPrefixes(lockPath(dir)));
  await removeStaleLeftovers(parent, [stagingPrefix(dir)], async (name) => {
    if (!name.endsWith('-old') || (await stat(dir).catch(() => undefined))) return false;
    await rename(join(parent, name), dir);
    return true;
  });
}

/** What is at the target now; refuses a file or a folder that is not a `dir:` image. */
async function inspectTarget(reference: ImageReference, dir: string): Promise<Existing> {
  let st;
  try {
    st = await stat(dir);
  } catch {
    return 'none';
  }
  if (!st.isDirectory()) throw new ImgsealError('DESTINATION_UNSUPPORTED', `${reference.toString()}: ${dir} exists and is not a folder`);
  if ((await readdir(dir)).length === 0) return 'empty';
  const version = await readFile(join(dir, VERSION_FILE), 'utf8').catch(() => undefined);
  if (version !== DIR_VERSION) {
    throw new ImgsealError('DESTINATION_UNSUPPORTED', `${reference.toString()}: ${dir} is not empty and not a containers image folder; refusing to overwrite it`);
  }
  return 'image';
}
