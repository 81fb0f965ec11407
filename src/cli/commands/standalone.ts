/** `imgseal standalone-sign` / `standalone-verify`, as skopeo's. */
import type { Command } from 'commander';
import { randomBytes } from 'node:crypto';
import { readFile, rename, rm, writeFile } from 'node:fs/promises';
import { dirname, join, basename } from 'node:path';
import { spawnSync } from 'node:child_process';
import { ImgsealError } from '../../errors.js';
import { readPublicKeys } from '../../signature/simple-signing.js';
import { gpgSign, readPassphraseFile } from '../../signature/sign.js';
import { standalonePayload, standaloneVerify } from '../../signature/standalone.js';

async function readArg(path: string, what: string): Promise<Buffer> {
  try {
    return await readFile(path);
  } catch (err) {
    throw new ImgsealError('INVALID_ARGUMENT', `reading ${what} ${path}: ${(err as NodeJS.ErrnoException).code ?? (err as Error).message}`);
  }
}

/** The GnuPG keyring's public keys (`gpg --export`), when no --public-key-file is given. */
function gnupgKeyring(): Buffer {
  const r = spawnSync('gpg', ['--batch', '--no-tty', '--export'], { env: process.env, maxBuffer: 64 << 20 });
  if (r.error || r.status !== 0) throw new ImgsealError('INVALID_ARGUMENT', `reading the GnuPG keyring: ${r.error?.message ?? r.stderr.toString().split('\n')[0]}`);
  return r.stdout;
}

export function registerStandalone(program: Command): void {
  program
    .command('standalone-sign')
    .argument('<manifest>', 'manifest file')
    .argument('<reference>', 'docker reference to sign as, e.g. registry.example.com/app:v1')
    .argument('<fingerprint>', 'GPG key to sign with (gpg and $GNUPGHOME)')
    .requiredOption('-o, --output <file>', 'where to write the signature')
    .option('--passphrase-file <file>', 'passphrase of the key (first line)')
    .description('sign a manifest file for a reference with a GPG key (like skopeo standalone-sign)')
    .action(async (manifestPath: string, reference: string, fingerprint: string, flags: { output: string; passphraseFile?: string }) => {
      const manifest = await readArg(manifestPath, 'manifest');
      const passphrase = flags.passphraseFile ? await readPassphraseFile(flags.passphraseFile) : undefined;
      const sig = await gpgSign({ keyIdentity: fingerprint, ...(passphrase !== undefined ? { passphrase } : {}) }, standalonePayload(manifest, reference));
      const tmp = join(dirname(flags.output), `.${basename(flags.output)}.${randomBytes(4).toString('hex')}.tmp`);
      try {
        await writeFile(tmp, sig, { mode: 0o644, flag: 'wx' });
        await rename(tmp, flags.output);
      } catch (err) {
        await rm(tmp, { force: true });
        throw new ImgsealError('IO_ERROR', `writing signature ${flags.output}: ${(err as NodeJS.ErrnoException).code ?? (err as Error).message}`);
      }
    });
  program
    .command('standalone-verify')
    .argument('<manifest>', 'manifest file')
    .argument('<reference>', 'the docker reference the signature must name')
    .argument('<fingerprints>', 'expected signer fingerprint(s), comma-separated, or "any" (with --public-key-file)')
    .argument('<signature>', 'signature file')
    .option('--public-key-file <file>', 'trusted public keys (default: the GnuPG keyring of $GNUPGHOME)')
    .description('verify a signature of a manifest file (like skopeo standalone-verify); exit 1 when it does not verify')
    .action(async (manifestPath: string, reference: string, fingerprints: string, sigPath: string, flags: { publicKeyFile?: string }) => {
      if (fingerprints === 'any' && !flags.publicKeyFile) throw new ImgsealError('INVALID_ARGUMENT', 'fingerprint "any" needs --public-key-file');
      const keyring = flags.publicKeyFile ? await readArg(flags.publicKeyFile, 'public key file') : gnupgKeyring();
      const keys = await readPublicKeys(keyring, flags.publicKeyFile ?? 'the GnuPG keyring');
      const r = await standaloneVerify({
        manifest: await readArg(manifestPath, 'manifest'),
        reference,
        fingerprints: fingerprints === 'any' ? 'any' : fingerprints.split(',').map((f) => f.trim()),
        signature: await readArg(sigPath, 'signature'),
        keys,
      });
      process.stdout.write(`Signature verified using fingerprint ${r.fingerprint}, digest ${r.digest}\n`);
    });
}
