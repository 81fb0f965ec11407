/**
 * Writes a tar file from a list of entries whose data comes from small buffers or from
 * staged files streamed in one at a time (never a whole blob in memory), with tar-stream's
 * packer. Timestamps are the epoch and owners root, as containers/image's docker-archive
 * writer does: archives of the same image are byte-identical, whoever writes them when.
 */
import { createReadStream, createWriteStream } from 'node:fs';
import { stat } from 'node:fs/promises';
import { pipeline } from 'node:stream/promises';
import type { Pack } from 'tar-stream';
import { ImgsealError } from '../../errors.js';

export type TarInput =
  | { name: string; type: 'directory'; mode?: number }
  | { name: string; type: 'symlink'; linkname: string }
  | { name: string; type: 'file'; bytes: Buffer; mode?: number }
  | { name: string; type: 'file'; path: string; mode?: number };

const EPOCH = new Date(0);

/** Writes `entries` in order to a new file `target` (which must not exist yet). */
export async function writeTar(target: string, entries: readonly TarInput[]): Promise<void> {
  // Loaded on first use: tar-stream and its dependencies cost ~7 MB of RSS that copies
  // which never write an archive should not carry.
  const { pack: tarPack } = await import('tar-stream');
  const pack = tarPack();
  const out = createWriteStream(target, { flags: 'wx', highWaterMark: 1 << 20 }); // room to batch writes (writev)
  const written = pipeline(pack, out);
  try {
    for (const e of entries) await addEntry(pack, e);
    pack.finalize();
  } catch (err) {
    pack.destroy(err as Error);
    await written.catch(() => undefined);
    throw err;
  }
  await written;
}

async function addEntry(pack: Pack, e: TarInput): Promise<void> {
  const common = { name: e.name, mtime: EPOCH, uid: 0, gid: 0 };
  if (e.type === 'directory') {
    await entryDone(pack, { ...common, type: 'directory', mode: e.mode ?? 0o755 }, Buffer.alloc(0));
  } else if (e.type === 'symlink') {
    await entryDone(pack, { ...common, type: 'symlink', linkname: e.linkname, mode: 0o777 }, Buffer.alloc(0));
  } else if ('bytes' in e) {
    await entryDone(pack, { ...common, type: 'file', mode: e.mode ?? 0o644, size: e.bytes.length }, e.bytes);
  } else {
    const { size } = await stat(e.path);
    await new Promise<void>((resolve, reject) => {
      const sink = pack.entry({ ...common, type: 'file', mode: e.mode ?? 0o644, size }, (err) => (err ? reject(err) : resolve()));
      const src = createReadStream(e.path);
      src.on('error', (err) => {
        reject(new ImgsealError('IO_ERROR', `reading staged ${e.path}: ${err.message}`, { cause: err }));
      });
      // pipe() gives back-pressure: the packer's output drains into the file at its own pace.
      src.pipe(sink);
    });
  }
}

function entryDone(pack: Pack, header: Parameters<Pack['entry']>[0], data: Buffer): Promise<void> {
  return new Promise((resolve, reject) => {
    pack.entry(header, data, (err) => (err ? reject(err) : resolve()));
  });
}
