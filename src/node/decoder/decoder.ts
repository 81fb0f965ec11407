/**
 * The containerd stream processor for encrypted layers (what imgcrypt's ctd-decoder
 * does, spec §8): ciphertext in, plaintext of the `returns` media type out.
 *
 * containerd reads our stdout to EOF and may accept it whatever our exit status
 * (peers README, "The stream-processor contract"), so nothing is written before the
 * whole layer is verified: the ciphertext digest and size against the descriptor, the
 * HMAC, and the plaintext digest the wrapped key records. Until then the plaintext
 * sits in a private unlinked spool file (constant memory for any layer size); on any
 * failure nothing at all reaches the output.
 */
import type { Readable, Writable } from 'node:stream';
import { decryptTransforms, openLayer } from '../../crypto/layer/index.js';
import { defaultSchemeContext } from '../../crypto/wrap/config.js';
import type { SchemeContext } from '../../crypto/wrap/types.js';
import { ImgsealError, isImgsealError } from '../../errors.js';
import { decryptedMediaType, isEncryptedMediaType, layerCompression } from '../../model/media-types.js';
import { payloadKeys, readKeyDirectory } from './key-dir.js';
import type { DecoderPayload } from './payload.js';
import { releaseSpool, spoolThroughSteps, type FdEndpoint } from './fd-pump.js';
import { Spool } from './spool.js';
import { outputPlan, zstdToTar } from './to-tar.js';

export interface DecodeLayerOptions {
  /** The layer blob as stored (ciphertext): a stream, or a descriptor read directly (fd-pump.ts). */
  input: Readable | FdEndpoint<Readable>;
  /** Receives the verified plaintext, and nothing at all on failure. */
  output: Writable | FdEndpoint<Writable>;
  payload: DecoderPayload;
  /** `--decryption-keys-path`: the node's key directory. */
  keysDir?: string;
  /** STREAM_PROCESSOR_MEDIATYPE: the media type containerd matched. */
  mediaType?: string;
  /**
   * `--returns`: the media type containerd expects, when it is not the layer's own
   * plaintext type. Only `application/vnd.oci.image.layer.v1.tar` for a tar+zstd layer
   * (to-tar.ts: the way to decrypt zstd layers under the `…decoder.v1.tar` id).
   */
  returns?: string;
  /** Where the private spool folder is made (default: os.tmpdir()). */
  spoolDir?: string;
  /**
   * Key-wrap configuration, built at the edge (loadSchemeConfig): OCICRYPT_CONFIG's
   * PKCS#11 module policy, key providers, gpg. Default: none (no pkcs11 or provider keys).
   */
  context?: SchemeContext;
}

export interface DecodeLayerResult {
  /** Plaintext bytes written (after decompression, with `returns` tar). */
  size: number;
  /** The media type of what was written (the processor's `returns`). */
  mediaType: string;
}

export async function decodeLayer(opts: DecodeLayerOptions): Promise<DecodeLayerResult> {
  const layer = opts.payload.descriptor;
  const what = `layer ${layer.digest}`;
  if (!isEncryptedMediaType(layer.mediaType)) {
    throw new ImgsealError('UNSUPPORTED_MEDIA_TYPE', `${what}: media type ${layer.mediaType} is not an encrypted layer type`);
  }
  if (opts.mediaType !== undefined && opts.mediaType !== '' && opts.mediaType !== layer.mediaType) {
    throw new ImgsealError('DECODER_PAYLOAD', `${what}: containerd says the stream is ${opts.mediaType}, the payload's descriptor says ${layer.mediaType}`);
  }
  const plainType = decryptedMediaType(layer.mediaType);
  const compression = layerCompression(plainType);
  const plan = outputPlan(plainType, compression, opts.returns, what);

  const ctx = opts.context ?? defaultSchemeContext();
  const dir = opts.keysDir ? await readKeyDirectory(opts.keysDir, ctx) : { keys: [], skipped: [] };
  const keys = [...(await payloadKeys(opts.payload.parameters, dir.skipped, ctx)), ...dir.keys];
  let unwrapped;
  try {
    unwrapped = await openLayer(layer, { ...ctx, keys }, what);
  } catch (err) {
    if (isImgsealError(err, 'MISSING_PRIVATE_KEY', 'NO_SUITABLE_KEY')) {
      const where = opts.keysDir ? ` in ${opts.keysDir}` : ' (no --decryption-keys-path)';
      const skipped = dir.skipped.length > 0 ? `; not used: ${dir.skipped.join('; ')}` : '';
      throw new ImgsealError(err.code, `${err.message}; ${keys.length} key${keys.length === 1 ? '' : 's'} found${where}${skipped}`, { cause: err });
    }
    throw err;
  }

  const steps = decryptTransforms(unwrapped, { compression, what, ciphertext: { digest: layer.digest, size: layer.size }, plaintextSize: layer.size });
  const spool = new Spool(layer.size, opts.spoolDir);
  try {
    await spoolThroughSteps(opts.input, steps, spool);
    // Every check has passed: only now does a byte reach the output.
    const size = await releaseSpool(spool, opts.output, plan.decompress === 'zstd' ? await zstdToTar(what) : undefined);
    return { size, mediaType: plan.mediaType };
  } catch (err) {
    for (const s of steps) s.destroy();
    throw err;
  } finally {
    spool.close();
  }
}
