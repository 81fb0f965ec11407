/**
 * `--returns application/vnd.oci.image.layer.v1.tar` for a tar+zstd layer: containerd's
 * CRI plugin hands the unpack payload (the descriptor with the wrapped keys) only to the
 * processor ids `…decoder.v1.tar` and `…decoder.v1.tar.gzip` (imgcrypt's PayloadToolIDs),
 * so under the `…v1.tar.zstd` id a zstd layer can never be decrypted. Registered under
 * the `…v1.tar` id instead, whose `returns` is an uncompressed tar, the decoder
 * decompresses the verified zstd plaintext in phase 2, and containerd checks the
 * diff_id of the tar it receives as for any layer.
 */
import { ImgsealError } from '../../errors.js';
import { MediaType, type LayerCompression } from '../../model/media-types.js';

/** Phase 2's decompressor: spooled (verified) bytes in, output pieces out, synchronously. */
export interface PhaseTwoDecoder {
  /** Decompresses `chunk` (copied: the spool's read buffer is reused) and returns what came out. */
  push(chunk: Buffer): Buffer[];
  /** The rest; throws when the compressed stream stopped short. */
  end(): Buffer[];
}

/** The uncompressed tar type a `--returns` may ask for. */
export const RETURNS_TAR = MediaType.ociLayerTar;

/**
 * What phase 2 writes for a layer whose plaintext is `plainType`: as it is (no
 * `returns`, or the same type), or zstd decompressed to tar. Refused, before anything
 * is read: any other conversion.
 */
export function outputPlan(plainType: string, compression: LayerCompression, returns: string | undefined, what: string): { mediaType: string; decompress?: 'zstd' } {
  if (returns === undefined || returns === plainType) return { mediaType: plainType };
  if (returns === RETURNS_TAR && compression === 'zstd') return { mediaType: RETURNS_TAR, decompress: 'zstd' };
  throw new ImgsealError(
    'UNSUPPORTED_MEDIA_TYPE',
    `${what}: cannot return ${returns} for a ${plainType} layer (--returns converts only a tar+zstd layer to ${RETURNS_TAR}; otherwise the processor's returns must be the layer's own plaintext type)`,
  );
}

/** fzstd's streaming decoder, loaded only for a zstd layer with `--returns` tar. */
export async function zstdToTar(what: string): Promise<PhaseTwoDecoder> {
  const { Decompress } = await import('fzstd');
  let out: Buffer[] = [];
  // Copied: fzstd's output may be a view of its window, which the next push overwrites.
  const decoder = new Decompress((data) => out.push(Buffer.from(data)));
  const take = (): Buffer[] => {
    const pieces = out;
    out = [];
    return pieces;
  };
  const run = (f: () => void): Buffer[] => {
    try {
      f();
    } catch (err) {
      throw new ImgsealError('DIFF_ID_MISMATCH', `${what}: decrypted layer does not decompress (${(err as Error).message})`, { cause: err });
    }
    return take();
  };
  return {
    push: (chunk) => run(() => decoder.push(Uint8Array.prototype.slice.call(chunk))),
    end: () => run(() => decoder.push(new Uint8Array(0), true)),
  };
}
