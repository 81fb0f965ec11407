/**
 * `imgseal kms wrap|unwrap`: a key file to and from a Key Protect ciphertext (the
 * value of a `kp-key` Secret entry). Outputs are written 0600 atomically; the API key,
 * the IAM token and the key never reach the terminal.
 */
import { readFile } from 'node:fs/promises';
import { basename, dirname } from 'node:path';
import type { Command } from 'commander';
import { ImgsealError } from '../../errors.js';
import { KeyProtectClient, KeyProtectKms, loadKeyProtectConfig } from '../../node/kms/index.js';
import { writeKeyFile } from '../../node/keysync/key-files.js';

interface KmsFlags {
  keyprotectConfig?: string;
  rootKeyId?: string;
}

async function readInput(path: string): Promise<Buffer> {
  try {
    return await readFile(path);
  } catch (err) {
    throw new ImgsealError('IO_ERROR', `cannot read ${path}: ${(err as NodeJS.ErrnoException).code ?? 'error'}`);
  }
}

async function writeOutput(path: string, content: Buffer): Promise<void> {
  try {
    await writeKeyFile(dirname(path), { name: basename(path), content });
  } catch (err) {
    throw new ImgsealError('IO_ERROR', (err as Error).message);
  }
}

function needConfig(flags: KmsFlags): string {
  if (!flags.keyprotectConfig) throw new ImgsealError('INVALID_ARGUMENT', '--keyprotect-config FILE is required');
  return flags.keyprotectConfig;
}

export function registerKms(program: Command): void {
  const kms = program.command('kms').description('wrap and unwrap key files with a KMS (IBM Key Protect)');
  kms
    .command('wrap')
    .description('wrap a key file with a Key Protect root key; OUT gets the ciphertext for a kp-key Secret')
    .argument('<in>', 'the key file')
    .argument('<out>', 'where to write the ciphertext')
    .option('--keyprotect-config <file>', 'config.json with keyprotect-url, instance-id, apikey (and optional iam-url, root-key-id)')
    .option('--root-key-id <id>', 'the root key (default: root-key-id from the config)')
    .action(async (input: string, output: string, flags: KmsFlags) => {
      const config = await loadKeyProtectConfig(needConfig(flags));
      const rootKeyId = flags.rootKeyId ?? config.rootKeyId;
      if (!rootKeyId) throw new ImgsealError('INVALID_ARGUMENT', '--root-key-id is required (or root-key-id in the Key Protect config)');
      const ciphertext = await new KeyProtectKms(new KeyProtectClient(config), rootKeyId).wrap(await readInput(input));
      await writeOutput(output, Buffer.from(ciphertext));
      process.stdout.write(`wrapped ${input} with root key ${rootKeyId}: ${output}\n`);
    });
  kms
    .command('unwrap')
    .description('unwrap a Key Protect ciphertext back to the key file (written mode 0600)')
    .argument('<in>', 'the ciphertext (as kms wrap or ibmcloud kp key wrap wrote it)')
    .argument('<out>', 'where to write the key file')
    .option('--keyprotect-config <file>', 'config.json with keyprotect-url, instance-id, apikey (and optional iam-url, root-key-id)')
    .option('--root-key-id <id>', 'the root key, when the ciphertext does not name it')
    .action(async (input: string, output: string, flags: KmsFlags) => {
      const config = await loadKeyProtectConfig(needConfig(flags));
      const ciphertext = (await readInput(input)).toString('utf8').trim();
      const key = await new KeyProtectKms(new KeyProtectClient(config)).unwrap(ciphertext, flags.rootKeyId ? { rootKeyId: flags.rootKeyId } : {});
      await writeOutput(output, key);
      process.stdout.write(`unwrapped ${input}: ${output} (mode 0600)\n`);
    });
}
