/** `imgseal generate-sigstore-key --output-prefix P` (skopeo's command): P.private (0600) and P.pub. */
import type { Command } from 'commander';
import { ImgsealError } from '../../errors.js';
import { generateSigstoreKeyFiles } from '../../signature/sigstore-key.js';
import { sigstorePassphrase } from '../sigstore-passphrase.js';

interface Flags {
  outputPrefix?: string;
  passphraseFile?: string;
}

export function registerGenerateSigstoreKey(program: Command): void {
  program
    .command('generate-sigstore-key')
    .description('generate an ECDSA P-256 key pair for sigstore (cosign-format) signatures: PREFIX.private (encrypted, mode 0600) and PREFIX.pub')
    .option('--output-prefix <prefix>', 'write PREFIX.private and PREFIX.pub (neither may exist)')
    .option('--passphrase-file <file>', 'passphrase for the private key (first line; default: $COSIGN_PASSWORD, else asked twice on the terminal)')
    .action(async (flags: Flags) => {
      if (!flags.outputPrefix) throw new ImgsealError('INVALID_ARGUMENT', '--output-prefix PREFIX is required');
      const passphrase = await sigstorePassphrase({ file: flags.passphraseFile, fileFlag: '--passphrase-file', confirm: true, what: 'the new sigstore private key' });
      const { privateKeyFile, publicKeyFile } = await generateSigstoreKeyFiles(flags.outputPrefix, passphrase);
      process.stdout.write(`Key written to "${privateKeyFile}" and "${publicKeyFile}"\n`);
    });
}
