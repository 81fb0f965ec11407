#!/usr/bin/env node
/**
 * `imgseal decoder` as its own small entry point for containerd's [stream_processors]:
 * the same run as `imgseal decoder`, without loading every other command (containerd
 * starts one decoder per layer, so its start-up time and memory count). Flags:
 * `--decryption-keys-path DIR` and `--returns MEDIATYPE` (or `--flag=value`).
 */
import { runDecoder, type DecoderFlags } from './commands/decoder.js';
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

const USAGE = 'imgseal-decoder [--decryption-keys-path DIR] [--returns MEDIATYPE]';
const HELP = `Usage: ${USAGE}

containerd stream processor (the same as \`imgseal decoder\`): reads an encrypted
layer on stdin and the layer's payload on fd 3, and writes the plaintext to stdout
only once the ciphertext digest, the HMAC and the plaintext digest have all passed.
On any failure nothing is written, the reason goes to stderr and the exit status is 1.

Options:
  --decryption-keys-path DIR  the node key directory (every key file imgseal reads;
                              files starting with "." are skipped)
  --returns MEDIATYPE         the processor's \`returns\` when it is not the layer's own
                              plaintext type: application/vnd.oci.image.layer.v1.tar
                              for tar+zstd layers, which containerd sends with their
                              payload only under the io.containerd.ocicrypt.decoder.v1.tar
                              id; they are decompressed once verified
  -h, --help                  show this help
`;

/** The flags, or a usage line (no stack trace: containerd shows our stderr to the user). */
function parseFlags(argv: string[]): DecoderFlags | { usage: string } | { help: true } {
  const flags: DecoderFlags = {};
  const names = { '--decryption-keys-path': 'keysDir', '--returns': 'returns' } as const;
  const needs = { '--decryption-keys-path': 'a directory', '--returns': 'a media type' } as const;
  for (let i = 0; i < argv.length; i++) {
    const a = argv[i] as string;
    if (a === '-h' || a === '--help') return { help: true };
    const eq = a.indexOf('=');
    const name = eq > 0 ? a.slice(0, eq) : a;
    if (!(name in names)) return { usage: `unknown argument ${JSON.stringify(a)}` };
    const value = eq > 0 ? a.slice(eq + 1) : argv[++i];
    if (value === undefined || value === '') return { usage: `option ${name} needs ${needs[name as keyof typeof needs]}` };
    flags[names[name as keyof typeof names]] = value;
  }
  return flags;
}

const flags = parseFlags(process.argv.slice(2));
if ('help' in flags) {
  process.stdout.write(HELP);
} else if ('usage' in flags) {
  process.stderr.write(`imgseal decoder: ${flags.usage} (usage: ${USAGE}; --help explains)\n`);
  process.exitCode = 2;
} else {
  runDecoder(flags).then(
    () => {
      process.exitCode = 0;
    },
    (err: unknown) => {
      process.stderr.write(`imgseal: ${errorLine(err)}\n`);
      process.exitCode = 1;
    },
  );
}
