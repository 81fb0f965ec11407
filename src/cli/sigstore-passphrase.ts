/**
 * The passphrase of a sigstore private key, as skopeo and cosign find it: a passphrase
 * file (first line), else COSIGN_PASSWORD (which may be empty: an unencrypted-in-effect
 * key is the user's choice), else a prompt on the terminal — twice for a new key —, else
 * a clear error. Never printed.
 */
import { ImgsealError } from '../errors.js';
import { readPassphraseFile } from '../signature/sign.js';
import { promptSecret } from './prompt.js';

export interface PassphraseSource {
  /** The passphrase file flag's value, and its name for messages. */
  file?: string;
  fileFlag: string;
  env?: Record<string, string | undefined>;
  /** Ask twice (a new key). */
  confirm?: boolean;
  /** What the passphrase is for, in the prompt. */
  what: string;
}

export async function sigstorePassphrase(o: PassphraseSource): Promise<string> {
  if (o.file) return readPassphraseFile(o.file);
  const env = (o.env ?? process.env).COSIGN_PASSWORD;
  if (env !== undefined) return env;
  const hint = `give ${o.fileFlag} FILE or set COSIGN_PASSWORD`;
  const first = await promptSecret(`Passphrase for ${o.what}: `, hint);
  if (!o.confirm) return first;
  const again = await promptSecret(`Enter the passphrase for ${o.what} again: `, hint);
  if (again !== first) throw new ImgsealError('KEY_PASSWORD', 'the two passphrases differ; nothing was written');
  return first;
}
