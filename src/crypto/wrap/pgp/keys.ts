/**
 * OpenPGP key material for the `pgp` scheme: public keys from a file (binary or
 * armored keyring), secret keys from a `--decryption-key` file (binary or
 * armored, passphrase-protected ones with the password), and the recipient
 * match by e-mail, name, key id or fingerprint. Messages name files and key
 * ids, never key bytes or passwords.
 */
import type * as openpgp from 'openpgp';
import { ImgsealError, type ErrorCode } from '../../../errors.js';
import { openpgpLib } from '../../../util/openpgp-lib.js';

const ARMOR = /-----BEGIN PGP (PUBLIC|PRIVATE) KEY BLOCK-----/;

/** True when `data` is an armored key block or starts like a binary OpenPGP key packet (tags 5, 6). */
export function looksLikeOpenpgpKey(data: Uint8Array): boolean {
  if (ARMOR.test(Buffer.from(data.subarray(0, 4096)).toString('latin1'))) return true;
  const tag = firstPacketTag(data);
  return tag === 5 || tag === 6;
}

function firstPacketTag(data: Uint8Array): number | undefined {
  const b = data[0];
  if (b === undefined || (b & 0x80) === 0) return undefined;
  return (b & 0x40) !== 0 ? b & 0x3f : (b >> 2) & 0x0f;
}

function isArmored(data: Uint8Array): boolean {
  return ARMOR.test(Buffer.from(data.subarray(0, 4096)).toString('latin1'));
}

/** Every key (public, or the public part of secret keys) in a keyring file. */
export async function readPublicKeys(data: Uint8Array, source: string, code: ErrorCode = 'INVALID_RECIPIENT'): Promise<openpgp.PublicKey[]> {
  const lib = await openpgpLib();
  let keys: openpgp.Key[];
  try {
    keys = isArmored(data)
      ? await lib.readKeys({ armoredKeys: Buffer.from(data).toString('utf8') })
      : await lib.readKeys({ binaryKeys: Uint8Array.from(data) });
  } catch (err) {
    throw new ImgsealError(code, `${source}: not an OpenPGP public key (${firstLine(err)})`, { cause: err });
  }
  return keys.map((k) => (k.isPrivate() ? k.toPublic() : (k as openpgp.PublicKey)));
}

/**
 * Secret keys from a key file, decrypted. Passphrase-protected keys are
 * unlocked with the first password candidate that works.
 */
export async function readSecretKeys(data: Uint8Array, source: string, passwords: readonly Uint8Array[]): Promise<openpgp.PrivateKey[]> {
  const lib = await openpgpLib();
  let keys: openpgp.PrivateKey[];
  try {
    keys = isArmored(data)
      ? await lib.readPrivateKeys({ armoredKeys: Buffer.from(data).toString('utf8') })
      : await lib.readPrivateKeys({ binaryKeys: Uint8Array.from(data) });
  } catch (err) {
    throw new ImgsealError('INVALID_KEY', `${source}: not an OpenPGP secret key (${firstLine(err)}); export one with: gpg --export-secret-keys KEYID > file`, { cause: err });
  }
  const out: openpgp.PrivateKey[] = [];
  for (const key of keys) out.push(await unlock(key, source, passwords));
  return out;
}

async function unlock(key: openpgp.PrivateKey, source: string, passwords: readonly Uint8Array[]): Promise<openpgp.PrivateKey> {
  if (key.isDecrypted()) return key;
  const id = `0x${key.getKeyID().toHex()}`;
  if (passwords.length === 0) {
    throw new ImgsealError('KEY_PASSWORD', `${source}: OpenPGP key ${id} is passphrase-protected; give the passphrase as ${source}:pass=…, :file=… or :fd=…`);
  }
  for (const pw of passwords) {
    try {
      return await (await openpgpLib()).decryptKey({ privateKey: key, passphrase: Buffer.from(pw).toString('utf8') });
    } catch {
      // try the next candidate; the library's reason says nothing useful
    }
  }
  throw new ImgsealError('KEY_PASSWORD', `${source}: wrong passphrase for OpenPGP key ${id}`);
}

const HEX_ID = /^(?:0x)?([0-9a-fA-F]{8}|[0-9a-fA-F]{16}|[0-9a-fA-F]{40}|[0-9a-fA-F]{64})$/;

/**
 * The keys of `keyring` that `query` names: an e-mail address or a user-id name
 * (exact, as ocicrypt matches), or a key id / fingerprint (hex, optional `0x`)
 * of the primary key or a subkey. Unlike ocicrypt, user ids without an e-mail
 * address are no error: they simply match by name.
 */
export function matchPublicKeys(keyring: readonly openpgp.PublicKey[], query: string): openpgp.PublicKey[] {
  const hex = HEX_ID.exec(query)?.[1]?.toLowerCase();
  return keyring.filter((key) => {
    if (hex) {
      const ids = [key, ...key.subkeys].flatMap((k) => [k.getFingerprint().toLowerCase(), k.getKeyID().toHex().toLowerCase()]);
      if (ids.some((id) => id === hex || (hex.length === 8 && id.length === 16 && id.endsWith(hex)))) return true;
    }
    return key.users.some((u) => u.userID !== null && (u.userID.email === query || u.userID.name === query || u.userID.userID === query));
  });
}

/** Fails unless each key can encrypt (has a usable encryption subkey or primary). */
export async function requireEncryptionKeys(keys: readonly openpgp.PublicKey[], source: string): Promise<void> {
  for (const key of keys) {
    try {
      await key.getEncryptionKey();
    } catch (err) {
      throw new ImgsealError('INVALID_RECIPIENT', `${source}: OpenPGP key 0x${key.getKeyID().toHex()} cannot encrypt (${firstLine(err)})`, { cause: err });
    }
  }
}

function firstLine(err: unknown): string {
  return (err instanceof Error ? err.message : String(err)).split('\n')[0] ?? '';
}
