/**
 * BlobReader over a blob file of a local layout (oci:, dir:): positioned reads into
 * the caller's buffers, so a large blob is read without a stream and without a new
 * buffer per read.
 */
import { constants } from 'node:fs';
import { open, type FileHandle } from 'node:fs/promises';
import { ImgsealError } from '../../errors.js';
import type { BlobReader } from '../types.js';

/**
 * Opens `path` for reading; `missing` is the error when it does not exist. Opened
 * non-blocking and checked with fstat, so a FIFO or device put in a blob's place is
 * refused instead of blocking the copy.
 */
export async function openBlobFile(path: string, missing: () => Error, notRegular: () => Error): Promise<BlobReader> {
  let file: FileHandle;
  try {
    file = await open(path, constants.O_RDONLY | constants.O_NONBLOCK);
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code === 'ENOENT') throw missing();
    throw new ImgsealError('IO_ERROR', `${path}: ${(err as Error).message}`, { cause: err });
  }
  try {
    if (!(await file.stat()).isFile()) throw notRegular();
  } catch (err) {
    await file.close().catch(() => {});
    throw err;
  }
  return {
    async read(buffer, length, position) {
      return (await file.read(buffer, 0, length, position)).bytesRead;
    },
    close: () => file.close(),
  };
}
