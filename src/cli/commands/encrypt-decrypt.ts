/**
 * `imgseal encrypt SRC [DEST]` and `imgseal decrypt SRC [DEST]`: ctr-enc style
 * shorthands for `copy` that state the intent. Without DEST the image is replaced
 * in place. `decrypt` insists on decrypting: an encrypted layer without a usable key
 * is an error, where `copy` would pass the ciphertext through as skopeo does.
 */
import type { Command } from 'commander';
import { ImgsealError } from '../../errors.js';
import { addTransportFlags } from '../context-flags.js';
import { addPolicyFlags, addSigningFlags } from '../signature-flags.js';
import { addCryptoFlags, runCopy, type CopyFlags } from './copy.js';

export function registerEncryptDecrypt(program: Command): void {
  const enc = program
    .command('encrypt')
    .argument('<source>', 'image to encrypt')
    .argument('[destination]', 'where to write it (default: replace the source)')
    .description('encrypt the layers of an image to one or more recipients');
  addCryptoFlags(enc, { encrypt: true, decrypt: false });
  addSigningFlags(addPolicyFlags(enc));
  addTransportFlags(enc);
  enc.action(async (src: string, dest: string | undefined, flags: CopyFlags) => {
    if (!flags.encryptionKey?.length) throw new ImgsealError('INVALID_ARGUMENT', 'no recipients given -- nothing to do (use --encryption-key jwe:PUBLIC_KEY)');
    await runCopy(src, dest ?? src, flags);
  });

  const dec = program
    .command('decrypt')
    .argument('<source>', 'image to decrypt')
    .argument('[destination]', 'where to write it (default: replace the source)')
    .description('decrypt the layers of an image; fails unless every encrypted layer can be decrypted');
  addCryptoFlags(dec, { encrypt: false, decrypt: true });
  addSigningFlags(addPolicyFlags(dec));
  addTransportFlags(dec);
  dec.action(async (src: string, dest: string | undefined, flags: CopyFlags) => {
    await runCopy(src, dest ?? src, { ...flags, decryptionKey: flags.decryptionKey ?? [] }, { requireDecryption: true });
  });
}
