/** `imgseal copy SRC DEST`: skopeo copy's flags, over copyImage(). */
import type { Command } from 'commander';
import { copyImage, type CopyOptions } from '../../copy/index.js';
import { ImgsealError } from '../../errors.js';
import { parseImageName } from '../../transports/transports.js';
import { addTransportFlags, destinationContext, sourceContext, type TransportFlags } from '../context-flags.js';
import { collect, collectInt, decryptionKeys, platforms, positiveInt, recipients, schemeConfig } from '../options.js';
import { runWithProgress, stoppableBySignals } from '../run.js';
import { addContentTrustFlags, trustedSource, type ContentTrustFlags } from '../content-trust.js';
import { addPolicyFlags, addSigningFlags, applySignatureFlags, sourcePolicy, type PolicyFlags, type SigningFlags } from '../signature-flags.js';

export interface CopyFlags extends TransportFlags, ContentTrustFlags, PolicyFlags, SigningFlags {
  encryptionKey?: string[];
  encryptLayer?: number[];
  decryptionKey?: string[];
  platform?: string[];
  /** `--all` / `--all-platforms` (commander names it after the second spelling). */
  allPlatforms?: boolean;
  jobs?: number;
  quiet?: boolean;
  json?: boolean;
}

export function addCryptoFlags(cmd: Command, which: { encrypt: boolean; decrypt: boolean }): Command {
  if (which.encrypt) {
    cmd
      .option('--encryption-key <scheme:file>', 'encrypt layers to this recipient: jwe:pub.pem, pkcs7:cert.pem, pkcs11:key.yaml, pgp:…, provider:… (repeatable)', collect)
      .option('--encrypt-layer <n>', 'encrypt only layer N (0 = bottom, -1 = top; repeatable; default: all)', collectInt);
  }
  if (which.decrypt) {
    cmd.option('--decryption-key <file[:password]>', 'private key to decrypt layers with; every key is tried (repeatable; pkcs7: give the key and its certificate; pkcs11: a key YAML)', collect);
  }
  addContentTrustFlags(cmd);
  return cmd
    .option('--platform <os/arch[/variant]>', 'for an index: the platform(s) to process (repeatable)', collect)
    .option('--all, --all-platforms', 'for an index: copy every image; with --platform only those are encrypted/decrypted')
    .option('--jobs <n>', 'blobs moved in parallel (default 6)', positiveInt)
    .option('-q, --quiet', 'no progress output')
    .option('--json', 'print the result (digest, layers) as JSON on stdout');
}

export function registerCopy(program: Command): void {
  const cmd = program
    .command('copy')
    .argument('<source>', 'source image, e.g. oci:dir:tag, docker://host/repo:tag, oci-archive:f.tar')
    .argument('<destination>', 'destination image')
    .description('copy an image, encrypting or decrypting its layers on the way (like skopeo copy)');
  addCryptoFlags(cmd, { encrypt: true, decrypt: true });
  addSigningFlags(addPolicyFlags(cmd));
  addTransportFlags(cmd);
  cmd.action(async (src: string, dest: string, flags: CopyFlags) => {
    await runCopy(src, dest, flags);
  });
}

export async function runCopy(src: string, dest: string, flags: CopyFlags, mode: { requireDecryption?: boolean } = {}): Promise<void> {
  const destRef = parseImageName(dest);
  const srcRef = await trustedSource(parseImageName(src), flags, sourceContext(flags));
  if (flags.encryptLayer?.length && !flags.encryptionKey?.length) {
    throw new ImgsealError('INVALID_ARGUMENT', '--encrypt-layer can only be used with --encryption-key');
  }
  const config = await schemeConfig();
  const opts: CopyOptions = {
    schemeConfig: config,
    platforms: platforms(flags.platform),
    allPlatforms: !!flags.allPlatforms,
    jobs: flags.jobs,
    sourceContext: sourceContext(flags),
    destinationContext: destinationContext(flags),
  };
  if (flags.encryptionKey?.length) opts.encrypt = { recipients: await recipients(flags.encryptionKey, config), layers: flags.encryptLayer };
  if (flags.decryptionKey?.length || mode.requireDecryption) opts.decrypt = { keys: await decryptionKeys(flags.decryptionKey ?? [], config) };
  await applySignatureFlags(opts, flags);
  const result = await stoppableBySignals((signal) =>
    runWithProgress(flags, async (progress, warn) => copyImage(srcRef, destRef, { ...opts, policy: await sourcePolicy(flags, warn), progress, warn, signal })),
  );
  if (flags.json) process.stdout.write(`${JSON.stringify(result, null, 2)}\n`);
  else if (!flags.quiet) process.stderr.write(`Writing manifest to image destination\nCopied ${srcRef.toString()} to ${destRef.toString()} (${result.digest})\n`);
}
