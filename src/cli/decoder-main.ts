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
// Hash on this thread, not the shared hash worker: on a node the second core is
// containerd's (it feeds stdin and unpacks other layers), and the worker's isolate
// cost ~8-14 MiB of peak RSS in the CRI benchmark (86/89/102 MiB against 78/78/88 MiB
// at 256 MiB / 64 MiB / 1 GiB layers). IMGSEAL_INLINE_HASH=0 brings the worker back.
process.env.IMGSEAL_INLINE_HASH ??= '1';

/** The flags, or a usage line (no stack trace: containerd shows our stderr to the user). */
function keysDirFrom(argv: string[]): { dir?: string } | { usage: string } {
  let dir: string | undefined;
  for (let i = 0; i < argv.length; i++) {
    const a = argv[i] as string;
    if (a === '--decryption-keys-path') {
      dir = argv[++i];
      if (dir === undefined || dir === '') return { usage: 'option --decryption-keys-path needs a directory' };
    } else if (a.startsWith('--decryption-keys-path=')) dir = a.slice('--decryption-keys-path='.length);
    else return { usage: `unknown argument ${JSON.stringify(a)}` };
  }
  return dir === undefined ? {} : { dir };
}

const flags = keysDirFrom(process.argv.slice(2));
if ('usage' in flags) {
  process.stderr.write(`imgseal decoder: ${flags.usage} (usage: decoder-main.js [--decryption-keys-path DIR])\n`);
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
