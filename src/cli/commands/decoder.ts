/**
 * `imgseal decoder --decryption-keys-path DIR`: the stream processor containerd runs
 * for encrypted layers (configured under [stream_processors], see README). Layer on
 * stdin, payload on fd 3, verified plaintext on stdout, one line on stderr on failure.
 */
import { createWriteStream } from 'node:fs';
import type { Command } from 'commander';
import { decodeLayer, parsePayload, readPayloadFd } from '../../node/decoder/index.js';

interface DecoderFlags {
  decryptionKeysPath?: string;
}

export function registerDecoder(program: Command): void {
  program
    .command('decoder')
    .description('containerd stream processor: decrypt and verify an encrypted layer (stdin, payload on fd 3) to stdout')
    .option('--decryption-keys-path <dir>', 'the node key directory (every key file imgseal reads; files starting with "." are skipped)')
    .action(async (flags: DecoderFlags) => {
      const payload = parsePayload(readPayloadFd(3));
      await decodeLayer({
        input: process.stdin,
        // Our own stream on fd 1: ending it closes the pipe, which is containerd's EOF.
        output: createWriteStream('', { fd: 1 }),
        payload,
        ...(flags.decryptionKeysPath ? { keysDir: flags.decryptionKeysPath } : {}),
        ...(process.env.STREAM_PROCESSOR_MEDIATYPE ? { mediaType: process.env.STREAM_PROCESSOR_MEDIATYPE } : {}),
      });
    });
}
