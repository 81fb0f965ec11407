#!/usr/bin/env node
/**
 * The imgseal command line: every command is flags → one library call. Errors become
 * one line on stderr and a non-zero exit here, and only here.
 */
import { Command, CommanderError } from 'commander';
import { debugText, errorLine, exitCodeFor } from './exit-codes.js';
import { dieBySignal, stoppedBySignal, unfinishedOperationError } from './run.js';
import { VERSION } from '../version.js';
import { installMemoryPacer } from '../util/memory-pacer.js';

type Register = (program: Command) => void;

/**
 * Each command's module, loaded only when that command runs (or all of them for the
 * top-level help and for names we do not know), so a copy does not pay for trust,
 * keysync or kms code and `--version` for none. Order = order in `--help`.
 */
const COMMANDS: readonly [names: readonly string[], load: () => Promise<Register>][] = [
  [['copy'], async () => (await import('./commands/copy.js')).registerCopy],
  [['encrypt', 'decrypt'], async () => (await import('./commands/encrypt-decrypt.js')).registerEncryptDecrypt],
  [['layerinfo'], async () => (await import('./commands/layerinfo.js')).registerLayerinfo],
  [['inspect'], async () => (await import('./commands/inspect.js')).registerInspect],
  [['list-tags'], async () => (await import('./commands/list-tags.js')).registerListTags],
  [['keygen'], async () => (await import('./commands/keygen.js')).registerKeygen],
  [['login', 'logout'], async () => (await import('./commands/login.js')).registerLogin],
  [['recipients'], async () => (await import('./commands/recipients.js')).registerRecipients],
  [['policy'], async () => (await import('./commands/policy.js')).registerPolicy],
  [['standalone-sign', 'standalone-verify'], async () => (await import('./commands/standalone.js')).registerStandalone],
  [['generate-sigstore-key'], async () => (await import('./commands/sigstore-key.js')).registerGenerateSigstoreKey],
  [['decoder'], async () => (await import('./commands/decoder.js')).registerDecoder],
  [['trust'], async () => (await import('./commands/trust.js')).registerTrust],
  [['keysync'], async () => (await import('./commands/keysync.js')).registerKeysync],
  [['kms'], async () => (await import('./commands/kms.js')).registerKms],
];

/**
 * The program with the command `argv[2]` names (all commands when it names none we
 * know: help, a typo, no argument), or with none for `--version`.
 */
export async function buildProgram(argv: readonly string[] = []): Promise<Command> {
  const program = new Command('imgseal')
    .description('Encrypt, decrypt, inspect and move OCI container images (ocicrypt-compatible).')
    .version(VERSION)
    .exitOverride();
  const first = argv[2];
  const named = COMMANDS.filter(([names]) => first !== undefined && names.includes(first));
  const chosen = first === '-V' || first === '--version' ? [] : named.length > 0 ? named : COMMANDS;
  for (const [, load] of chosen) (await load())(program);
  for (const cmd of program.commands) cmd.exitOverride();
  return program;
}

export async function main(argv: string[]): Promise<number> {
  // The CLI owns its process, so it may pace the GC (see util/memory-pacer.ts).
  installMemoryPacer();
  try {
    await (await buildProgram(argv)).parseAsync(argv);
    return 0;
  } catch (err) {
    if (err instanceof CommanderError) {
      // commander has already printed its message (usage errors) or the help/version text.
      return err.exitCode === 0 ? 0 : 2;
    }
    process.stderr.write(`imgseal: ${errorLine(err)}\n`);
    if (process.env.IMGSEAL_DEBUG && err instanceof Error) process.stderr.write(`${debugText(err)}\n`);
    return exitCodeFor(err);
  }
}

/**
 * The guard against a silent success: when the event loop empties while the command
 * is still pending (a stream step that waits for an event that never comes), Node
 * would exit 0 with nothing done. That is always a failure, and says so.
 */
let settled = false;
process.on('beforeExit', () => {
  if (settled) return;
  settled = true;
  const err = unfinishedOperationError();
  process.stderr.write(`imgseal: ${errorLine(err)}\n`);
  process.exitCode = exitCodeFor(err);
});

main(process.argv).then((code) => {
  settled = true;
  // Stopped by a signal: cleanup is done, so end by that signal (see dieBySignal).
  const signal = stoppedBySignal();
  if (signal) dieBySignal(signal);
  process.exitCode = code;
});
