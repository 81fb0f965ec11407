import { randomBytes } from 'node:crypto';
import { access, mkdir, readdir, rename, rm, stat, writeFile } from 'node:fs/promises';
import { basename, dirname, join } from 'node:path';
import type { Readable } from 'node:stream';
import { ImgsealError } from '../../errors.js';
import { REF_NAME_ANNOTATION, type Descriptor } from '../../model/descriptor.js';
import { type Digest } from '../../model/digest.js';
import { MediaType } from '../../model/media-types.js';
import type { ImageIndex } from '../../model/manifest.js';
import { BlobStager } from '../common/blob-stager.js';
import { moveIntoPlace, tempName } from '../common/staged-blob.js';
import type { ImageDestination, ManifestBlob, PutBlobInfo, PutBlobResult } from '../types.js';
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

  private constructor(reference: OciLayoutReference, staging: string, newLayout: boolean) {
    this.reference = reference;
    this.staging = staging;
    this.newLayout = newLayout;
    this.blobs = new BlobStager(join(staging, 'tmp'), (d) => blobPath(staging, d));
  }

  static async open(reference: OciLayoutReference): Promise<OciLayoutDestination> {
    const dir = reference.dir;
    const suffix = `${process.pid}-${randomBytes(4).toString('hex')}`;
    let exists = false;
    try {
      const st = await stat(dir);
      if (!st.isDirectory()) throw new ImgsealError('INVALID_REFERENCE', `${reference.toString()}: ${dir} exists and is not a folder`);
      exists = (await readdir(dir)).length > 0;
    } catch (err) {
      if (err instanceof ImgsealError) throw err;
    }
    if (exists) {
      await readLayoutIndex(dir); // fail early on a folder that is not a usable layout
      const staging = join(dir, `.imgseal-staging-${suffix}`);
      await mkdir(staging, { recursive: true });
      return new OciLayoutDestination(reference, staging, false);
    }
    await mkdir(dirname(dir), { recursive: true });
    const staging = join(dirname(dir), `.${basename(dir)}.imgseal-${suffix}`);
    await mkdir(staging, { recursive: true });
    return new OciLayoutDestination(reference, staging, true);
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
    const dir = this.reference.dir;
    if (this.newLayout) {
      await writeFile(join(this.staging, OCI_LAYOUT_FILE), OCI_LAYOUT_CONTENT);
      await writeFile(join(this.staging, INDEX_FILE), indexJson({ schemaVersion: 2, manifests: [this.top] }));
      await rm(join(this.staging, 'tmp'), { recursive: true, force: true });
      try {
        await rename(this.staging, dir);
      } catch (err) {
        throw new ImgsealError('IO_ERROR', `${this.reference.toString()}: could not create ${dir}: ${(err as Error).message}`, { cause: err });
      }
    } else {
      for (const digest of [...this.blobs.digests(), ...this.manifests]) {
        const target = blobPath(dir, digest);
        if (await exists(target)) continue;
        await moveIntoPlace(blobPath(this.staging, digest), target);
      }
      if (!(await exists(join(dir, OCI_LAYOUT_FILE)))) await writeFile(join(dir, OCI_LAYOUT_FILE), OCI_LAYOUT_CONTENT);
      const index = (await readLayoutIndex(dir)) ?? { schemaVersion: 2, manifests: [] };
      const ref = this.reference.refName;
      // As containers/image: a ref name names one image; an older entry under it loses the name.
      index.manifests = index.manifests.filter((m) => ref === undefined || m.annotations?.[REF_NAME_ANNOTATION] !== ref);
      index.manifests.push(this.top);
      const tmp = tempName(dir, 'index');
      await writeFile(tmp, indexJson(index));
      await rename(tmp, join(dir, INDEX_FILE));
      await rm(this.staging, { recursive: true, force: true });
    }
    this.committed = true;
  }

  async close(): Promise<void> {
    await this.blobs.settled();
    if (!this.committed) await rm(this.staging, { recursive: true, force: true });
  }
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

