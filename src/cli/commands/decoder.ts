/**
 * `imgseal decoder --decryption-keys-path DIR`: the stream processor containerd runs
 * for encrypted layers (configured under [stream_processors], see README). Layer on
 * stdin, payload on fd 3, verified plaintext on stdout, one line on stderr on failure.
 */
import type { Command } from 'commander';
import { loadSchemeConfig } from '../../crypto/wrap/config.js';
import { decodeLayer, parsePayload, readPayloadFd } from '../../node/decoder/index.js';

/** The decoder's flags (`imgseal decoder` and the `imgseal-decoder` bundle). */
export interface DecoderFlags {
  /** `--decryption-keys-path` */
  keysDir?: string;
  /** `--returns` */
  returns?: string;
}

/**
 * containerd reads stdout to EOF and only then asks whether the decoder failed; if it
 * has not reaped us by then it reports a diff_id mismatch of the empty stream instead
 * of our message (peers README, contract item 7). A short-lived process holding our
 * stdout makes the EOF come after our exit, so the user reads why the pull failed.
 */
async function keepStdoutOpenPastExit(): Promise<void> {
  try {
    // Loaded only on failure: node:child_process (with node:net) is ~7 ms of every start.
    const { spawn } = await import('node:child_process');
    const holder = spawn('sleep', ['1'], { stdio: ['ignore', 1, 'ignore'], detached: true });
    holder.on('error', () => undefined);
    holder.unref();
  } catch {
    // Only the message can get lost, never the verdict: nothing was written.
  }
}

export function registerDecoder(program: Command): void {
  program
    .command('decoder')
    .description('containerd stream processor: decrypt and verify an encrypted layer (stdin, payload on fd 3) to stdout')
    .option('--decryption-keys-path <dir>', 'the node key directory (every key file imgseal reads; files starting with "." are skipped)')
    .option('--returns <mediatype>', "the processor's returns when it is not the layer's own plaintext type: application/vnd.oci.image.layer.v1.tar for tar+zstd layers registered under the io.containerd.ocicrypt.decoder.v1.tar id (the only way containerd sends them their payload); decompressed once verified")
    .action(async (flags: { decryptionKeysPath?: string; returns?: string }) =>
      runDecoder({ ...(flags.decryptionKeysPath ? { keysDir: flags.decryptionKeysPath } : {}), ...(flags.returns ? { returns: flags.returns } : {}) }),
    );
}

/** The whole decoder run: payload from fd 3, layer from stdin, plaintext to stdout. */
export async function runDecoder(flags: DecoderFlags): Promise<void> {
  try {
    const payload = parsePayload(readPayloadFd(3));
    // containerd passes its environment on: OCICRYPT_CONFIG (PKCS#11 module policy) and
    // OCICRYPT_KEYPROVIDER_CONFIG are read here, as every other command reads them.
    const context = { config: await loadSchemeConfig(process.env) };
    await decodeLayer({
      context,
      // Read and written directly (node/decoder/fd-pump.ts). process.stdin/stdout are
      // only the fallbacks for a non-blocking descriptor: once anything opens
      // process.stdout (a preload, or a worker started with its output piped to ours;
      // the hash worker is not) libuv makes the pipe non-blocking, and direct writes
      // then fail with EAGAIN whenever containerd reads slower than we write; libuv's
      // pipe handle waits instead.
      // containerd's EOF is our exit.
      input: { fd: 0, fallback: () => process.stdin },
      output: { fd: 1, fallback: () => process.stdout },
      payload,
      ...(flags.keysDir ? { keysDir: flags.keysDir } : {}),
      ...(flags.returns ? { returns: flags.returns } : {}),
      ...(process.env.STREAM_PROCESSOR_MEDIATYPE ? { mediaType: process.env.STREAM_PROCESSOR_MEDIATYPE } : {}),
    });
  } catch (err) {
    await keepStdoutOpenPastExit();
    throw err;
  }
}
