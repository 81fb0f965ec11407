#!/usr/bin/env node
/**
 * `imgseal decoder` as its own small entry point for containerd's [stream_processors]:
 * the same run as `imgseal decoder`, without loading every other command (containerd
 * starts one decoder per layer, so its start-up time and memory count). Flags:
 * `--decryption-keys-path DIR` (or `--decryption-keys-path=DIR`).
 */
import { runDecoder } from './commands/decoder.js';
import { errorLine } from './exit-codes.js';
import { installMemoryPacer } from '../util/memory-pacer.js';

// Dead chunk buffers otherwise pile up to ~32 MiB before V8 scavenges them: with the
// pacer the decoder's peak RSS stays flat (~83-90 MiB from 256 MiB to 1 GiB layers,
// against 92-106 MiB growing with the layer without it). keepFreedChunks: the cipher's
// pipe-sized output buffers otherwise land on fresh pages after every collection
// (70 000 page faults per 256 MiB layer, 10 500 with it).
installMemoryPacer({ keepFreedChunks: true });
// The two SHA-256 digests go to the hash worker only for layers of 128 MiB and more
// (bench/README.md, "The hash worker in the decoder"): a 256 MiB layer through pipes
// 1.38-1.54 s against 1.68-1.79 s inline; CRI pulls at 1.74x the plain pull on
// average against 1.92x, over 12 interleaved pairs; ~10 MiB more RSS (83-85 MiB, flat
// to 1 GiB). At 64 MiB both modes take the same time, and at 16 MiB the worker's start
// costs 75 ms (containerd applies layers one after the other). Below the
// threshold everything is hashed on this thread. IMGSEAL_HASH_WORKER_MIN (bytes)
// moves the threshold; IMGSEAL_INLINE_HASH=1 keeps every layer on this thread.
const DECODER_HASH_WORKER_MIN = 128 << 20;
process.env.IMGSEAL_HASH_WORKER_MIN ??= String(DECODER_HASH_WORKER_MIN);

const HELP = `Usage: imgseal-decoder [--decryption-keys-path DIR]

containerd stream processor (the same as \`imgseal decoder\`): reads an encrypted
layer on stdin and the layer's payload on fd 3, and writes the plaintext to stdout
only once the ciphertext digest, the HMAC and the plaintext digest have all passed.
On any failure nothing is written, the reason goes to stderr and the exit status is 1.

Options:
  --decryption-keys-path DIR  the node key directory (every key file imgseal reads;
                              files starting with "." are skipped)
  -h, --help                  show this help
`;

/** The flags, or a usage line (no stack trace: containerd shows our stderr to the user). */
function keysDirFrom(argv: string[]): { dir?: string } | { usage: string } | { help: true } {
  let dir: string | undefined;
  for (let i = 0; i < argv.length; i++) {
    const a = argv[i] as string;
    if (a === '-h' || a === '--help') return { help: true };
    if (a === '--decryption-keys-path') {
      dir = argv[++i];
      if (dir === undefined || dir === '') return { usage: 'option --decryption-keys-path needs a directory' };
    } else if (a.startsWith('--decryption-keys-path=')) dir = a.slice('--decryption-keys-path='.length);
    else return { usage: `unknown argument ${JSON.stringify(a)}` };
  }
  return dir === undefined ? {} : { dir };
}

const flags = keysDirFrom(process.argv.slice(2));
if ('help' in flags) {
  process.stdout.write(HELP);
} else if ('usage' in flags) {
  process.stderr.write(`imgseal decoder: ${flags.usage} (usage: imgseal-decoder [--decryption-keys-path DIR]; --help explains)\n`);
  process.exitCode = 2;
} else {
  runDecoder(flags.dir).then(
    () => {
      process.exitCode = 0;
    },
    (err: unknown) => {
      process.stderr.write(`imgseal: ${errorLine(err)}\n`);
      process.exitCode = 1;
    },
  );
}
