#!/usr/bin/env node
/**
 * The imgseal command line: every command is flags → one library call. Errors become
 * one line on stderr and a non-zero exit here, and only here.
 */
import { Command, CommanderError } from 'commander';
import { registerCopy } from './commands/copy.js';
import { registerDecoder } from './commands/decoder.js';
import { registerKeysync } from './commands/keysync.js';
import { registerKms } from './commands/kms.js';
import { registerEncryptDecrypt } from './commands/encrypt-decrypt.js';
import { registerInspect } from './commands/inspect.js';
import { registerKeygen } from './commands/keygen.js';
import { registerLayerinfo } from './commands/layerinfo.js';
import { registerListTags } from './commands/list-tags.js';
import { registerLogin } from './commands/login.js';
import { registerRecipients } from './commands/recipients.js';
import { registerPolicy } from './commands/policy.js';
import { registerStandalone } from './commands/standalone.js';
import { registerTrust } from './commands/trust.js';
import { debugText, errorLine, exitCodeFor } from './exit-codes.js';
import { dieBySignal, stoppedBySignal, unfinishedOperationError } from './run.js';
import { VERSION } from '../version.js';
import { installMemoryPacer } from '../util/memory-pacer.js';

export function buildProgram(): Command {
  const program = new Command('imgseal')
    .description('Encrypt, decrypt, inspect and move OCI container images (ocicrypt-compatible).')
    .version(VERSION)
    .exitOverride();
  registerCopy(program);
  registerEncryptDecrypt(program);
  registerLayerinfo(program);
  registerInspect(program);
  registerListTags(program);
  registerKeygen(program);
  registerLogin(program);
  registerRecipients(program);
  registerPolicy(program);
  registerStandalone(program);
  registerDecoder(program);
  registerTrust(program);
  registerKeysync(program);
  registerKms(program);
  for (const cmd of program.commands) cmd.exitOverride();
  return program;
}

export async function main(argv: string[]): Promise<number> {
  // The CLI owns its process, so it may pace the GC (see util/memory-pacer.ts).
  installMemoryPacer();
  try {
    await buildProgram().parseAsync(argv);
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
