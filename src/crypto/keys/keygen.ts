/**
 * `imgseal keygen`: a fresh RSA or EC key pair written as PKCS#8 PEM (private,
 * mode 0600) and SPKI PEM (public) — the formats every ocicrypt tool accepts.
 */
import { generateKeyPair as generateKeyPairCb, type KeyObject } from 'node:crypto';
import { link, lstat, open, rename, unlink } from 'node:fs/promises';
import { basename, dirname, join } from 'node:path';
import { promisify } from 'node:util';
import { ImgsealError } from '../../errors.js';
import { publicKeyFingerprint } from './fingerprint.js';
import { ownedName, removeStaleLeftovers } from '../../util/lock/index.js';

export type KeyGenOptions = { type: 'rsa'; bits: 2048 | 3072 | 4096 } | { type: 'ec'; curve: 'P-256' | 'P-384' };

export interface KeyPair {
  privateKey: KeyObject;
  publicKey: KeyObject;
}

const generate = promisify(generateKeyPairCb);

export async function generateKeyPair(opts: KeyGenOptions): Promise<KeyPair> {
  if (opts.type === 'rsa') {
    if (![2048, 3072, 4096].includes(opts.bits)) throw new ImgsealError('INVALID_ARGUMENT', `unsupported RSA key size ${opts.bits}; use 2048, 3072 or 4096`);
    return generate('rsa', { modulusLength: opts.bits });
  }
  if (opts.curve !== 'P-256' && opts.curve !== 'P-384') throw new ImgsealError('INVALID_ARGUMENT', `unsupported EC curve ${String(opts.curve)}; use P-256 or P-384`);
  return generate('ec', { namedCurve: opts.curve });
}

export interface WriteKeyPairOptions {
  /** Replace existing files. */
  force?: boolean;
}

/**
 * Writes both files and returns the public key fingerprint (JWK thumbprint,
 * the `kid` our JWE recipients carry). Each file is written to a temporary
 * name created with its final mode and then moved into place, so the private
 * key is never readable by others, not even for a moment, and a crash never
 * leaves a half-written key under the real name.
 */
export async function writeKeyPair(privPath: string, pubPath: string, pair: KeyPair, options: WriteKeyPairOptions = {}): Promise<string> {
  if (privPath === pubPath) throw new ImgsealError('INVALID_ARGUMENT', 'private and public key paths must differ');
  const privPem = pair.privateKey.export({ format: 'pem', type: 'pkcs8' }) as string;
  const pubPem = pair.publicKey.export({ format: 'pem', type: 'spki' }) as string;
  if (!options.force) {
    // Checked up front too, so a refusal does not leave a lone private key behind.
    for (const p of [privPath, pubPath]) if (await exists(p)) throw refuse(p);
  }
  await placeFile(privPath, privPem, 0o600, options.force === true);
  await placeFile(pubPath, pubPem, 0o644, options.force === true);
  return publicKeyFingerprint(pair.publicKey);
}

async function placeFile(path: string, content: string, mode: number, force: boolean): Promise<void> {
  // Owner-named, so that a private key a killed keygen left half-placed is removed by the next one.
  const prefix = `.${basename(path)}.`;
  await removeStaleLeftovers(dirname(path), [prefix]);
  const tmp = join(dirname(path), ownedName(prefix, '.tmp'));
  try {
    const fh = await open(tmp, 'wx', mode);
    try {
      await fh.chmod(mode); // open's mode is filtered by the umask; the result must not depend on it
      await fh.writeFile(content);
      await fh.sync();
    } finally {
      await fh.close();
    }
    if (force) {
      await rename(tmp, path);
    } else {
      // link() fails with EEXIST atomically, unlike a check-then-rename.
      await link(tmp, path);
      await unlink(tmp);
    }
  } catch (err) {
    await unlink(tmp).catch(() => undefined);
    const e = err as NodeJS.ErrnoException;
    if (e.code === 'EEXIST') {
      throw refuse(path, err);
    }
    throw new ImgsealError('IO_ERROR', `could not write ${path}: ${e.code ?? e.message}`, { cause: err });
  }
}

function refuse(path: string, cause?: unknown): ImgsealError {
  return new ImgsealError('INVALID_ARGUMENT', `${path} already exists; refusing to overwrite it (use --force to replace it)`, { cause });
}

async function exists(path: string): Promise<boolean> {
  try {
    await lstat(path);
    return true;
  } catch {
    return false;
  }
}
