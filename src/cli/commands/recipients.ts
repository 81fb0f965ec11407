/**
 * `imgseal recipients add|remove|rotate SRC [DEST]`: change who can open an image's
 * encrypted layers. Without DEST the image is replaced in place (as encrypt/decrypt).
 * add/remove keep every layer blob byte-identical; rotate re-encrypts.
 */
import type { Command } from 'commander';
import { copyImage, type CopyOptions, type RecipientChangeOptions } from '../../copy/index.js';
import { ImgsealError } from '../../errors.js';
import { parseImageName } from '../../transports/transports.js';
import { addTransportFlags, destinationContext, sourceContext, type TransportFlags } from '../context-flags.js';
import { collect, decryptionKeys, platforms, positiveInt, recipients, schemeConfig } from '../options.js';
import { runWithProgress, stoppableBySignals } from '../run.js';
import { addPolicyFlags, addSigningFlags, applySignatureFlags, sourcePolicy, type PolicyFlags, type SigningFlags } from '../signature-flags.js';

interface RecipientFlags extends TransportFlags, PolicyFlags, SigningFlags {
  recipient?: string[];
  decryptionKey?: string[];
  platform?: string[];
  allPlatforms?: boolean;
  jobs?: number;
  quiet?: boolean;
  json?: boolean;
}

const NOT_REVOCATION =
  'Removing a recipient is NOT revocation: the layer key stays the same, so whoever kept a copy of the image or of its key can still decrypt it. Use "recipients rotate" to re-encrypt with fresh keys.';

const HELP: Record<RecipientChangeOptions['mode'], { description: string; recipient: string; after?: string }> = {
  add: {
    description: 'add recipients to the encrypted layers without re-encrypting them (layer blobs stay byte-identical)',
    recipient: 'new recipient, e.g. jwe:new.pub.pem (repeatable)',
  },
  remove: {
    description: "remove recipients' wrapped keys from the encrypted layers (layer blobs stay byte-identical; NOT revocation)",
    recipient: 'recipient to remove: its public key, or for entries without a key id its private key, e.g. jwe:old.pub.pem (repeatable)',
    after: `\n${NOT_REVOCATION}\nRemoving the last recipient of a layer is refused, and nothing is written.\n`,
  },
  rotate: {
    description: 'revoke for real: decrypt, verify and re-encrypt every encrypted layer with a fresh key for exactly these recipients',
    recipient: 'recipient of the re-encrypted image, e.g. jwe:pub.pem (repeatable)',
  },
};

export function registerRecipients(program: Command): void {
  const group = program.command('recipients').description('add, remove or rotate the recipients of an encrypted image');
  for (const mode of ['add', 'remove', 'rotate'] as const) {
    const help = HELP[mode];
    const cmd = group
      .command(mode)
      .argument('<source>', 'encrypted image, e.g. oci:dir:tag, docker://host/repo:tag')
      .argument('[destination]', 'where to write it (default: replace the source)')
      .description(help.description)
      .option('--recipient <scheme:key>', help.recipient, collect);
    if (mode !== 'remove') cmd.option('--decryption-key <file[:password]>', 'private key that opens the layers now (repeatable)', collect);
    cmd
      .option('--platform <os/arch[/variant]>', 'for an index: the platform(s) to process (repeatable)', collect)
      .option('--all, --all-platforms', 'for an index: copy every image; with --platform only those are changed')
      .option('--jobs <n>', 'blobs moved in parallel (default 6)', positiveInt)
      .option('-q, --quiet', 'no progress output')
      .option('--json', 'print the result (digest, layers) as JSON on stdout');
    if (help.after) cmd.addHelpText('after', help.after);
    addSigningFlags(addPolicyFlags(cmd));
    addTransportFlags(cmd);
    cmd.action(async (src: string, dest: string | undefined, flags: RecipientFlags) => {
      await runRecipients(mode, src, dest ?? src, flags);
    });
    cmd.exitOverride();
  }
  group.exitOverride();
}

async function runRecipients(mode: RecipientChangeOptions['mode'], src: string, dest: string, flags: RecipientFlags): Promise<void> {
  const srcRef = parseImageName(src);
  const destRef = parseImageName(dest);
  if (!flags.recipient?.length) throw new ImgsealError('INVALID_ARGUMENT', `no recipients given -- nothing to do (use --recipient SCHEME:KEY)`);
  if (mode !== 'remove' && !flags.decryptionKey?.length) {
    throw new ImgsealError('INVALID_ARGUMENT', `${mode} needs --decryption-key: a key that opens the layers now`);
  }
  const config = await schemeConfig();
  const change: RecipientChangeOptions = {
    mode,
    recipients: await recipients(flags.recipient, config, mode === 'remove' ? 'match' : 'encrypt'),
    ...(mode !== 'remove' ? { keys: await decryptionKeys(flags.decryptionKey, config) } : {}),
  };
  const opts: CopyOptions = {
    schemeConfig: config,
    recipientChange: change,
    platforms: platforms(flags.platform),
    allPlatforms: !!flags.allPlatforms,
    jobs: flags.jobs,
    sourceContext: sourceContext(flags),
    destinationContext: destinationContext(flags),
  };
  await applySignatureFlags(opts, flags);
  const result = await stoppableBySignals((signal) =>
    runWithProgress(flags, async (progress, warn) => copyImage(srcRef, destRef, { ...opts, policy: await sourcePolicy(flags, warn), progress, warn, signal })),
  );
  if (flags.json) process.stdout.write(`${JSON.stringify(result, null, 2)}\n`);
  else if (!flags.quiet) {
    const verb = mode === 'add' ? 'Added recipients to' : mode === 'remove' ? 'Removed recipients from' : 'Re-encrypted';
    process.stderr.write(`${verb} ${srcRef.toString()}${dest === src ? '' : ` into ${destRef.toString()}`} (${result.digest})\n`);
    if (mode === 'remove') process.stderr.write(`Note: ${NOT_REVOCATION}\n`);
  }
}
