import { access, mkdir, readdir, rename, rm, stat, writeFile } from 'node:fs/promises';
import { basename, dirname, join } from 'node:path';
import type { Readable } from 'node:stream';
import { ImgsealError } from '../../errors.js';
import { REF_NAME_ANNOTATION, type Descriptor } from '../../model/descriptor.js';
import { type Digest } from '../../model/digest.js';
import { MediaType } from '../../model/media-types.js';
import type { ImageIndex } from '../../model/manifest.js';
import { BlobStager } from '../common/blob-stager.js';
import { moveIntoPlace } from '../common/staged-blob.js';
import { lockTempPrefixes, ownedName, removeStaleLeftovers, withFileLock } from '../../util/lock/index.js';
import type { BlobChunks, ImageDestination, ManifestBlob, PutBlobInfo, PutBlobResult } from '../types.js';
import { blobPath, INDEX_FILE, OCI_LAYOUT_CONTENT, OCI_LAYOUT_FILE, readLayoutIndex } from './layout.js';
import type { OciLayoutReference } from './reference.js';

/**
 * Writes into an OCI layout without ever leaving it half-written. Everything is staged
 * first; commit() moves blobs into place and writes index.json last (temp + rename).
 * - new layout: staged as a sibling folder, renamed to the target path at commit;
 * - existing layout: staged in a hidden folder inside it; blobs are renamed into
 *   blobs/ (content-addressed, so extra blobs never change what any ref means) and
 *   index.json is replaced atomically.
 * close() without commit deletes the staging folder: the layout is as it was.
 *
 * Writers of one layout take turns on index.json (a lock file beside it, index.json
 * re-read under the lock), so concurrent copies of different tags all land. Staging
 * folders and temporary files carry their owner's pid and start token: the next writer
 * removes those of a process that is gone (killed mid-copy), never a live one's.
 */
export class OciLayoutDestination implements ImageDestination {
  readonly reference: OciLayoutReference;
  readonly maxParallelBlobs = 8;
  private readonly staging: string;
  private readonly newLayout: boolean;
  private readonly blobs: BlobStager;
  /** Manifests written by putManifest (blobs too, but not through the stager). */
  private readonly manifests = new Set<Digest>();
  private top: Descriptor | undefined;
  private committed = false;

  private constructor(
    reference: OciLayoutReference,
    staging: string,
    newLayout: boolean,
    private readonly signal: AbortSignal | undefined,
  ) {
    this.reference = reference;
    this.staging = staging;
    this.newLayout = newLayout;
    this.blobs = new BlobStager(join(staging, 'tmp'), (d) => blobPath(staging, d));
  }

  /** `signal` ends a wait for the layout's lock (another writer committing). */
  static async open(reference: OciLayoutReference, opts: { signal?: AbortSignal } = {}): Promise<OciLayoutDestination> {
    const dir = reference.dir;
    let exists = false;
    try {
      const st = await stat(dir);
      if (!st.isDirectory()) throw new ImgsealError('INVALID_REFERENCE', `${reference.toString()}: ${dir} exists and is not a folder`);
      exists = (await readdir(dir)).length > 0;
    } catch (err) {
      if (err instanceof ImgsealError) throw err;
    }
    await removeLeftovers(dir);
    if (exists) {
      await readLayoutIndex(dir); // fail early on a folder that is not a usable layout
      const staging = join(dir, ownedName(STAGING_PREFIX));
      await mkdir(staging, { recursive: true });
      return new OciLayoutDestination(reference, staging, false, opts.signal);
    }
    await mkdir(dirname(dir), { recursive: true });
    const staging = join(dirname(dir), ownedName(newLayoutStagingPrefix(dir)));
    await mkdir(staging, { recursive: true });
    return new OciLayoutDestination(reference, staging, true, opts.signal);
  }

  async tryReuseBlob(desc: Descriptor): Promise<boolean> {
    if (this.blobs.has(desc.digest) || this.manifests.has(desc.digest)) return true;
    if (this.newLayout) return false;
    try {
      const st = await stat(blobPath(this.reference.dir, desc.digest));
      return st.size === desc.size;
    } catch {
      return false;
    }
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
    const path = blobPath(this.staging, blob.digest);
    await mkdir(dirname(path), { recursive: true });
    await writeFile(path, blob.bytes);
    this.manifests.add(blob.digest);
    if (opts.topLevel) {
      const desc: Descriptor = { mediaType: blob.mediaType, digest: blob.digest, size: blob.bytes.length };
      if (this.reference.refName !== undefined) desc.annotations = { [REF_NAME_ANNOTATION]: this.reference.refName };
      this.top = desc;
    }
  }

  async commit(): Promise<void> {
    if (!this.top) throw new ImgsealError('INTERNAL', 'commit before the top-level manifest was written');
    if (this.newLayout && (await this.createLayout())) {
      this.committed = true;
      return;
    }
    await this.mergeIntoLayout(this.top);
    this.committed = true;
    await rm(this.staging, { recursive: true, force: true });
  }

  /** Renames the staged layout into place; false when another writer created it first. */
  private async createLayout(): Promise<boolean> {
    const top = this.top as Descriptor;
    const dir = this.reference.dir;
    await writeFile(join(this.staging, OCI_LAYOUT_FILE), OCI_LAYOUT_CONTENT);
    await writeFile(join(this.staging, INDEX_FILE), indexJson({ schemaVersion: 2, manifests: [top] }));
    await rm(join(this.staging, 'tmp'), { recursive: true, force: true });
    try {
      await rename(this.staging, dir);
      return true;
    } catch (err) {
      const code = (err as NodeJS.ErrnoException).code;
      if ((code === 'ENOTEMPTY' || code === 'EEXIST') && (await readLayoutIndex(dir).catch(() => undefined))) return false;
      throw new ImgsealError('IO_ERROR', `${this.reference.toString()}: could not create ${dir}: ${(err as Error).message}`, { cause: err });
    }
  }

  /** Blobs into blobs/ (content-addressed: safe without a lock), then index.json under the lock. */
  private async mergeIntoLayout(top: Descriptor): Promise<void> {
    const dir = this.reference.dir;
    for (const digest of [...this.blobs.digests(), ...this.manifests]) {
      const target = blobPath(dir, digest);
      if (await exists(target)) continue;
      await moveIntoPlace(blobPath(this.staging, digest), target);
    }
    await withFileLock(
      join(dir, LOCK_FILE),
      async () => {
        if (!(await exists(join(dir, OCI_LAYOUT_FILE)))) await writeFile(join(dir, OCI_LAYOUT_FILE), OCI_LAYOUT_CONTENT);
        const index = (await readLayoutIndex(dir)) ?? { schemaVersion: 2, manifests: [] };
        const ref = this.reference.refName;
        // As containers/image: a ref name names one image; an older entry under it loses the name.
        index.manifests = index.manifests.filter((m) => ref === undefined || m.annotations?.[REF_NAME_ANNOTATION] !== ref);
        index.manifests.push(top);
        const tmp = join(dir, ownedName(INDEX_TEMP_PREFIX, '.tmp'));
        try {
          await writeFile(tmp, indexJson(index));
          await rename(tmp, join(dir, INDEX_FILE));
        } catch (err) {
          await rm(tmp, { force: true });
          throw new ImgsealError('IO_ERROR', `${this.reference.toString()}: could not write ${join(dir, INDEX_FILE)}: ${(err as Error).message}`, { cause: err });
        }
      },
      { what: this.reference.toString(), signal: this.signal },
    );
  }

  async close(): Promise<void> {
    await this.blobs.settled();
    if (!this.committed) await rm(this.staging, { recursive: true, force: true });
  }
}

/** Guards index.json's read-modify-write. */
export const LOCK_FILE = 'index.json.lock';
/** Staging inside an existing layout, and the temporary index.json. */
const STAGING_PREFIX = '.imgseal-staging-';
const INDEX_TEMP_PREFIX = '.index.json.';

/** Staging of a new layout, beside where it will be. */
function newLayoutStagingPrefix(dir: string): string {
  return `.${basename(dir)}.imgseal-`;
}

/** What killed writers left inside the layout and beside it. */
async function removeLeftovers(dir: string): Promise<void> {
  // `.index-PID-HEX.tmp`: the temporary index.json of earlier versions.
  await removeStaleLeftovers(dir, [STAGING_PREFIX, INDEX_TEMP_PREFIX, '.index-', ...lockTempPrefixes(join(dir, LOCK_FILE))]);
  await removeStaleLeftovers(dirname(dir), [newLayoutStagingPrefix(dir)]);
}

function indexJson(index: ImageIndex): string {
  const { schemaVersion, mediaType, manifests, ...rest } = index;
  return JSON.stringify({ schemaVersion, mediaType: mediaType ?? MediaType.ociIndex, manifests, ...rest });
}

async function exists(path: string): Promise<boolean> {
  try {
    await access(path);
    return true;
  } catch {
    return false;
  }
}

