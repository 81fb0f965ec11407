/**
 * The decoder's byte path on plain file descriptors: stdin → the decrypt steps → the
 * spool, then (once every check passed) spool → stdout, with one reused buffer per
 * direction and blocking reads and writes on this thread (the spool's layout: spool.ts).
 *
 * Why not streams: the decoder is one process per layer with nothing else to do
 * while a layer flows, and on a node its time is the difference between a plain and
 * an encrypted pull. Through three Transforms, a stdin socket and fs streams it spent
 * ~1.1 CPU-s per 256 MiB beyond its hashing (every 64 KiB pipe read a fresh buffer
 * and a page fault per 4 KiB, a threadpool hop per spool write, stream callbacks per
 * step); this loop runs the steps' chunk interface (copy/steps/chunk-step.ts) on
 * 1 MiB chunks and allocates nothing per read.
 *
 * A descriptor that turns out to be non-blocking (EAGAIN: something opened
 * process.stdout, or a parent handed us one) is not spun on: what is left goes
 * through the stream the caller offers as fallback.
 */
import { readSync, writeSync } from 'node:fs';
import type { Readable, Writable } from 'node:stream';
import { finishSteps, throughSteps, type ChunkStep } from '../../copy/steps/chunk-step.js';
import { ImgsealError } from '../../errors.js';
import { ioError } from './io-error.js';
import { noteStreamedBytes } from '../../util/memory-pacer.js';
import type { Spool } from './spool.js';
import type { PhaseTwoDecoder } from './to-tar.js';

/** The largest read (a pipe gives at most its 64 KiB capacity per read; a file all of it). */
export const DECODER_CHUNK = 1 << 20;

/** A descriptor read or written directly, with the stream to use if it is non-blocking. */
export interface FdEndpoint<S> {
  fd: number;
  /** Made only when needed (process.stdin / process.stdout are lazy getters). */
  fallback: () => S;
}

function isAgain(err: unknown): boolean {
  const code = (err as NodeJS.ErrnoException).code;
  return code === 'EAGAIN' || code === 'EWOULDBLOCK';
}

/**
 * Yields the input as it arrives, each chunk valid until the next is asked for. A read
 * is processed at once rather than gathered into full buffers: a pipe holds 64 KiB, so
 * while this thread decrypts one read the writer refills the pipe, and the next read
 * returns without waiting (gathering 1 MiB made every read after the first wait for the
 * writer to be scheduled, which cost more wall time than the larger step calls saved).
 */
async function* inputChunks(input: Readable | FdEndpoint<Readable>, buf: Buffer): AsyncGenerator<Buffer> {
  let stream: Readable | undefined;
  if ('fd' in input) {
    for (;;) {
      let n: number;
      try {
        n = readSync(input.fd, buf, 0, buf.length, null);
      } catch (err) {
        if ((err as NodeJS.ErrnoException).code === 'EINTR') continue;
        if (!isAgain(err)) throw ioError('cannot read the layer from stdin', err);
        stream = input.fallback();
        break;
      }
      if (n === 0) return;
      yield buf.subarray(0, n);
    }
  } else {
    stream = input;
  }
  for await (const piece of stream as AsyncIterable<Buffer>) yield piece;
}

/**
 * Phase 1: the whole input through `steps` into the spool; resolves to the bytes
 * spooled once every step's finishChunks passed, rejects on the first failure.
 */
export async function spoolThroughSteps(input: Readable | FdEndpoint<Readable>, steps: readonly ChunkStep[], spool: Spool): Promise<number> {
  const buf = Buffer.allocUnsafeSlow(DECODER_CHUNK);
  const append = (c: Buffer): void => spool.append(c);
  for await (const chunk of inputChunks(input, buf)) {
    noteStreamedBytes(chunk.length);
    append(await throughSteps(steps, chunk));
  }
  await finishSteps(steps, append);
  return spool.size;
}

/**
 * Phase 2: everything spooled to the output, in order (the spool shrinks as it goes),
 * through `decoder` when one is given (to-tar.ts); resolves to the bytes written.
 */
export async function releaseSpool(spool: Spool, output: Writable | FdEndpoint<Writable>, decoder?: PhaseTwoDecoder): Promise<number> {
  const size = spool.size;
  // Through the decompressor in smaller reads: it copies what it is given, then joins
  // and copies again, so each read is ~3 times its size in garbage.
  const buf = Buffer.allocUnsafeSlow(Math.min(decoder ? DECODER_CHUNK / 4 : DECODER_CHUNK, Math.max(size, 1)));
  let stream = 'fd' in output ? undefined : output;
  let written = 0;
  const write = async (piece: Buffer): Promise<void> => {
    written += piece.length;
    if (!stream && 'fd' in output) {
      let off = 0;
      try {
        while (off < piece.length) off += writeSync(output.fd, piece, off, piece.length - off, null);
        return;
      } catch (err) {
        if (!isAgain(err)) throw ioError('cannot write the plaintext to stdout', err);
        stream = output.fallback();
        piece = piece.subarray(off);
      }
    }
    await writeStream(stream as Writable, piece);
  };
  for (let pos = 0; pos < size; ) {
    const n = spool.read(buf, pos);
    if (n === 0) throw new ImgsealError('IO_ERROR', `the spool file ended after ${pos} of ${size} bytes`);
    pos += n;
    noteStreamedBytes(n);
    const chunk = buf.subarray(0, n);
    if (!decoder) await write(chunk);
    else {
      // The decompressor's copies are garbage too: the pacer counts them.
      for (const piece of decoder.push(chunk)) {
        noteStreamedBytes(piece.length);
        await write(piece);
      }
    }
  }
  if (decoder) for (const piece of decoder.end()) await write(piece);
  const ending = stream;
  if (ending) await new Promise<void>((resolve, reject) => ending.end((err?: Error | null) => (err ? reject(err) : resolve())));
  return written;
}

/** Writes `chunk` and waits until the stream is done with it (the buffer is reused). */
function writeStream(stream: Writable, chunk: Buffer): Promise<void> {
  return new Promise((resolve, reject) => {
    stream.write(chunk, (err?: Error | null) => (err ? reject(ioError('cannot write the plaintext', err)) : resolve()));
  });
}
