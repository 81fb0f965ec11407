/**
 * `imgseal kms wrap|unwrap`: a key file to and from a wrapped key (the value of a
 * `kp-key` Secret entry), with IBM Key Protect or an AES key on a PKCS#11 token.
 * Outputs are written 0600 atomically, and only after the KMS succeeded; API keys,
 * tokens, PINs and the key never reach the terminal.
 */
import { readFile } from 'node:fs/promises';
import { basename, dirname } from 'node:path';
import type { Command } from 'commander';
import { ImgsealError } from '../../errors.js';
import { KeyProtectClient, KeyProtectKms, Pkcs11Kms, loadKeyProtectConfig, loadPkcs11KmsConfig, normalizeKeyId, routeUnwrap, wrappedKeyBackend, type Kms } from '../../node/kms/index.js';
import { writeKeyFile } from '../../node/keysync/key-files.js';

interface KmsFlags {
  keyprotectConfig?: string;
  rootKeyId?: string;
  pkcs11Config?: string;
  keyLabel?: string;
  keyId?: string;
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

function invalid(message: string): ImgsealError {
  return new ImgsealError('INVALID_ARGUMENT', message);
}

async function pkcs11Kms(flags: KmsFlags): Promise<Pkcs11Kms> {
  const config = await loadPkcs11KmsConfig(flags.pkcs11Config as string);
  return new Pkcs11Kms(config, {
    env: process.env,
    ...(flags.keyLabel !== undefined ? { keyLabel: flags.keyLabel } : {}),
    ...(flags.keyId !== undefined ? { keyId: normalizeKeyId(flags.keyId, '--key-id') } : {}),
  });
}

async function wrapper(flags: KmsFlags): Promise<Kms> {
  if (!!flags.keyprotectConfig === !!flags.pkcs11Config) throw invalid('give one KMS: --keyprotect-config FILE or --pkcs11-config FILE');
  if (flags.keyprotectConfig) {
    if (flags.keyLabel !== undefined || flags.keyId !== undefined) throw invalid('--key-label and --key-id go with --pkcs11-config');
    const config = await loadKeyProtectConfig(flags.keyprotectConfig);
    const rootKeyId = flags.rootKeyId ?? config.rootKeyId;
    if (!rootKeyId) throw invalid('--root-key-id is required (or root-key-id in the Key Protect config)');
    return new KeyProtectKms(new KeyProtectClient(config), rootKeyId);
  }
  if (flags.rootKeyId !== undefined) throw invalid('--root-key-id goes with --keyprotect-config');
  return pkcs11Kms(flags);
}

const KP_HELP = 'Key Protect config.json with keyprotect-url, instance-id, apikey (and optional iam-url, root-key-id)';
const P11_HELP = 'PKCS#11 config (JSON: module-path|module-name, token-label|slot-id, key-label, key-id, pin-file|pin-env, module-env)';

export function registerKms(program: Command): void {
  const kms = program.command('kms').description('wrap and unwrap key files with a KMS (IBM Key Protect, or an AES key on a PKCS#11 token)');
  kms
    .command('wrap')
    .description('wrap a key file; OUT gets the wrapped key for a kp-key Secret')
    .argument('<in>', 'the key file')
    .argument('<out>', 'where to write the wrapped key')
    .option('--keyprotect-config <file>', KP_HELP)
    .option('--root-key-id <id>', 'Key Protect: the root key (default: root-key-id from the config)')
    .option('--pkcs11-config <file>', P11_HELP)
    .option('--key-label <label>', 'PKCS#11: the AES key\'s label (default: key-label from the config)')
    .option('--key-id <hex>', 'PKCS#11: the AES key\'s CKA_ID in hex (default: key-id from the config)')
    .action(async (input: string, output: string, flags: KmsFlags) => {
      const kms = await wrapper(flags);
      const wrapped = await kms.wrap(await readInput(input));
      await writeOutput(output, Buffer.from(wrapped));
      process.stdout.write(`wrapped ${input} with ${kms.backend === 'pkcs11' ? 'the PKCS#11 token' : `Key Protect root key ${flags.rootKeyId ?? (kms as KeyProtectKms).client.config.rootKeyId}`}: ${output}\n`);
    });
  kms
    .command('unwrap')
    .description('unwrap a wrapped key back to the key file (written mode 0600); the wrapped key says which KMS made it')
    .argument('<in>', 'the wrapped key (as kms wrap or ibmcloud kp key wrap wrote it)')
    .argument('<out>', 'where to write the key file')
    .option('--keyprotect-config <file>', KP_HELP)
    .option('--root-key-id <id>', 'Key Protect: the root key, when the ciphertext does not name it')
    .option('--pkcs11-config <file>', `${P11_HELP}; the token and key come from the wrapped key`)
    .action(async (input: string, output: string, flags: KmsFlags) => {
      if (!flags.keyprotectConfig && !flags.pkcs11Config) throw invalid('give the KMS: --keyprotect-config FILE or --pkcs11-config FILE');
      const wrapped = (await readInput(input)).toString('utf8').trim();
      const backend = wrappedKeyBackend(wrapped);
      const backends = {
        ...(flags.keyprotectConfig && backend === 'keyprotect' ? { keyprotect: new KeyProtectKms(new KeyProtectClient(await loadKeyProtectConfig(flags.keyprotectConfig))) } : {}),
        ...(flags.pkcs11Config && backend === 'pkcs11' ? { pkcs11: await pkcs11Kms(flags) } : {}),
      };
      const key = await routeUnwrap(backends).unwrap(wrapped, flags.rootKeyId ? { rootKeyId: flags.rootKeyId } : {});
      await writeOutput(output, key);
      process.stdout.write(`unwrapped ${input}: ${output} (mode 0600)\n`);
    });
}
