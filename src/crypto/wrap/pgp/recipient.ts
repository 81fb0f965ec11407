/**
 * `pgp:VALUE` recipients and `--decryption-key` OpenPGP key files.
 *
 * VALUE is a public key file (binary or armored; a secret key file works too,
 * only its public part is used) when such a file exists, else a name, e-mail
 * address, key id or fingerprint looked up in the user's GnuPG public keyring
 * through `gpg --export` (ocicrypt matches names and e-mail addresses only, and
 * fails on any user id without an e-mail address; we do neither).
 */
import { stat } from 'node:fs/promises';
import type * as openpgp from 'openpgp';
import { ImgsealError } from '../../../errors.js';
import { readKeyFile } from '../../keys/files.js';
import { OPENPGP_SECRET_KEYS_KIND, type OpenpgpSecretKeysMaterial } from '../../keys/material.js';
import type { DecryptionKey, KeyFile, Recipient, RecipientPurpose, SchemeContext } from '../types.js';
import { exportGpgPublicKeyring, type GpgOptions } from './gpg.js';
import { looksLikeOpenpgpKey, matchPublicKeys, readPublicKeys, readSecretKeys, requireEncryptionKeys } from './keys.js';
import { formatKeyId } from './packets.js';

/** DecryptionKey kind of unlocked OpenPGP secret keys. */
export const PGP_SECRET_KEYS_KIND = 'pgp-secret-keys';

export interface PgpSecretKeysMaterial {
  keys: readonly openpgp.PrivateKey[];
}

export interface PgpRecipientMaterial {
  /** Keys to encrypt to (empty for a match-only key id). */
  keys: readonly openpgp.PublicKey[];
  /** Every key id (primary and subkeys), 16 lowercase hex digits: what `recipients remove` matches PKESKs by. */
  keyIds: readonly string[];
}

function bad(message: string): ImgsealError {
  return new ImgsealError('INVALID_RECIPIENT', message);
}

async function isFile(p: string): Promise<boolean> {
  try {
    return (await stat(p)).isFile();
  } catch {
    return false;
  }
}

function gpgOptions(ctx: SchemeContext): GpgOptions {
  const opts: GpgOptions = { env: { ...ctx.config.env } };
  if (ctx.config.gpg?.program) opts.program = ctx.config.gpg.program;
  if (ctx.config.gpg?.homedir) opts.homedir = ctx.config.gpg.homedir;
  if (ctx.config.timeoutMs) opts.timeoutMs = ctx.config.timeoutMs;
  return opts;
}

function keyIdsOf(keys: readonly openpgp.PublicKey[]): string[] {
  return keys.flatMap((k) => [k, ...k.subkeys].map((s) => s.getKeyID().toHex().toLowerCase()));
}

const HEX_KEY_ID = /^(?:0x)?([0-9a-fA-F]{16})$/;

function keyIdOnly(source: string, hexId: string): Recipient {
  return { scheme: 'pgp', source, label: formatKeyId(hexId), material: { keys: [], keyIds: [hexId] } satisfies PgpRecipientMaterial };
}

export async function parsePgpRecipient(value: string, ctx: SchemeContext & { purpose?: RecipientPurpose }): Promise<Recipient> {
  const source = `pgp:${value}`;
  if (value === '') throw bad(`Invalid recipient format: ${source} (expected pgp:FILE or pgp:EMAIL, NAME or KEYID in the gpg keyring)`);
  let keys: openpgp.PublicKey[];
  if (await isFile(value)) {
    keys = await readPublicKeys(await readKeyFile(value, 'INVALID_RECIPIENT'), value);
    if (keys.length === 0) throw bad(`${value}: no OpenPGP key in the file`);
  } else {
    // Removing by key id needs no keyring: the id is what the PKESK names.
    const hexId = ctx.purpose === 'match' ? HEX_KEY_ID.exec(value)?.[1]?.toLowerCase() : undefined;
    let ring: openpgp.PublicKey[];
    try {
      ring = await readPublicKeys(await exportGpgPublicKeyring(gpgOptions(ctx)), 'the gpg public keyring');
    } catch (err) {
      if (hexId) return keyIdOnly(source, hexId);
      throw err;
    }
    keys = matchPublicKeys(ring, value);
    if (keys.length === 0) {
      if (hexId) return keyIdOnly(source, hexId);
      const home = ctx.config.gpg?.homedir ?? ctx.config.env.GNUPGHOME ?? '~/.gnupg';
      throw bad(`PGP: No key found for the following recipients: ${value} (in the gpg public keyring of ${home}; import it with gpg --import, or give a key file: pgp:FILE)`);
    }
  }
  if (ctx.purpose !== 'match') await requireEncryptionKeys(keys, value);
  const label = await encryptionKeyLabel(keys[0]!);
  return { scheme: 'pgp', source, label, material: { keys, keyIds: keyIdsOf(keys) } satisfies PgpRecipientMaterial };
}

/** How describe() will show this recipient: the key id of the subkey that gets the PKESK. */
async function encryptionKeyLabel(key: openpgp.PublicKey): Promise<string> {
  try {
    return formatKeyId((await key.getEncryptionKey()).getKeyID().toHex());
  } catch {
    return formatKeyId(key.getKeyID().toHex());
  }
}

/** Claims OpenPGP key files given to --decryption-key: secret keys are loaded, public keys refused. */
export async function loadPgpKeyFile(file: KeyFile): Promise<DecryptionKey | undefined> {
  if (!looksLikeOpenpgpKey(file.data)) return undefined;
  const text = file.data.subarray(0, 4096).toString('latin1');
  const b0 = file.data[0] ?? 0;
  const firstTag = (b0 & 0x40) !== 0 ? b0 & 0x3f : (b0 >> 2) & 0x0f;
  if (text.includes('-----BEGIN PGP PUBLIC KEY BLOCK-----') || (!text.includes('-----BEGIN PGP') && firstTag === 6)) {
    throw new ImgsealError('INVALID_KEY', `${file.path}: is an OpenPGP public key; decryption needs the secret key (gpg --export-secret-keys KEYID > file)`);
  }
  const keys = await readSecretKeys(file.data, file.path, file.passwords);
  return { source: file.path, kind: PGP_SECRET_KEYS_KIND, material: { keys } satisfies PgpSecretKeysMaterial };
}

/** Every usable OpenPGP secret key among the decryption keys. */
export async function pgpSecretKeysOf(keys: readonly DecryptionKey[]): Promise<openpgp.PrivateKey[]> {
  const out: openpgp.PrivateKey[] = [];
  for (const k of keys) {
    if (k.kind === PGP_SECRET_KEYS_KIND) out.push(...(k.material as PgpSecretKeysMaterial).keys);
    else if (k.kind === OPENPGP_SECRET_KEYS_KIND) {
      // The shared loader's raw keyring (keys loaded without the pgp scheme).
      const m = k.material as OpenpgpSecretKeysMaterial;
      out.push(...(await readSecretKeys(m.data, k.source, m.passwords)));
    }
  }
  return out;
}
