/**
 * Reading a PEM private key to import into the trust directory (`trust key load`):
 * refused when group or others can read it (docker's rule), decrypted with a
 * passphrase when it is encrypted, never echoed in a message.
 */
import { createPrivateKey, type KeyObject } from 'node:crypto';
import { open } from 'node:fs/promises';
import { ImgsealError } from '../../errors.js';

const MAX_KEY_FILE = 64 << 10;

export async function loadPrivateKeyFile(path: string, passphrase?: string): Promise<KeyObject> {
  let text: string;
  const fh = await open(path, 'r').catch((err: Error) => {
    throw new ImgsealError('INVALID_KEY', `reading ${path}: ${err.message}`, { cause: err });
  });
  try {
    const st = await fh.stat();
    if (!st.isFile()) throw new ImgsealError('INVALID_KEY', `${path} is not a regular file`);
    if (st.mode & 0o077) throw new ImgsealError('INVALID_KEY', `private key file ${path} must not be readable or writable by group or others (chmod 600 it)`);
    if (st.size > MAX_KEY_FILE) throw new ImgsealError('INVALID_KEY', `${path} is too large for a key file`);
    text = (await fh.readFile()).toString('utf8');
  } finally {
    await fh.close();
  }
  const body = text.replace(/^[A-Za-z-]+: .*\r?\n/gm, '').replace(/(-----BEGIN [A-Z ]+-----)\r?\n\r?\n/, '$1\n');
  try {
    return createPrivateKey(passphrase ? { key: body, format: 'pem', passphrase } : { key: body, format: 'pem' });
  } catch {
    throw new ImgsealError(/ENCRYPTED/.test(body) ? 'KEY_PASSWORD' : 'INVALID_KEY', /ENCRYPTED/.test(body) ? `${path} is encrypted: wrong or missing passphrase` : `${path} is not a PEM private key`);
  }
}
