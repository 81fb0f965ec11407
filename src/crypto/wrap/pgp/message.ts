/**
 * The OpenPGP message of the `pgp` scheme (spec §5.3), with `openpgp` 6: one
 * PKESK v3 per recipient encryption subkey, then SEIPD v1 (with MDC) under
 * AES-256 holding a literal packet (format `t`, no file name, date 0) with the
 * private options; no compression, no signature — what ocicrypt writes and what
 * skopeo 1.9.3's golang.org/x/crypto/openpgp reads.
 *
 * openpgp 6 would pick SEIPD v2 (AEAD) for keys that advertise it and the
 * recipients' common cipher otherwise; old Go openpgp cannot read SEIPD v2, so
 * the session key is made here (AES-256, no AEAD algorithm), which pins PKESK v3
 * + SEIPD v1 whatever the keys say.
 */
import { randomBytes } from 'node:crypto';
import type * as openpgp from 'openpgp';
import { ImgsealError } from '../../../errors.js';
import { openpgpLib } from '../../../util/openpgp-lib.js';

function config(lib: typeof openpgp): Partial<openpgp.Config> {
  return {
    preferredCompressionAlgorithm: lib.enums.compression.uncompressed,
    preferredSymmetricAlgorithm: lib.enums.symmetric.aes256,
    preferredHashAlgorithm: lib.enums.hash.sha256,
    aeadProtect: false,
  };
}

/** Encrypts `privateOptions` to every key (one message, one PKESK per key). */
export async function wrapPgp(privateOptions: Uint8Array, keys: readonly openpgp.PublicKey[]): Promise<Uint8Array> {
  if (keys.length === 0) throw new ImgsealError('INVALID_RECIPIENT', 'pgp: no recipient keys');
  const lib = await openpgpLib();
  const message = await lib.createMessage({ binary: Uint8Array.from(privateOptions), format: 'text', date: new Date(0) });
  try {
    return await lib.encrypt({
      message,
      encryptionKeys: [...keys],
      sessionKey: { data: randomBytes(32), algorithm: 'aes256' },
      format: 'binary',
      config: config(lib),
    });
  } catch (err) {
    throw new ImgsealError('INVALID_RECIPIENT', `pgp: cannot encrypt to ${keys.map(keyLabel).join(', ')}: ${(err as Error).message}`, { cause: err });
  }
}

function keyLabel(k: openpgp.Key): string {
  return `0x${k.getKeyID().toHex()}`;
}

function corrupt(why: string, cause?: unknown): ImgsealError {
  return new ImgsealError('INVALID_ENCRYPTION_METADATA', `pgp: corrupt OpenPGP message in the key annotation (${why})`, { cause });
}

/** Parses an annotation entry as a binary OpenPGP message; one clear error when it is not one. */
export async function readPgpMessage(entry: Uint8Array): Promise<openpgp.Message<Uint8Array>> {
  let message: openpgp.Message<Uint8Array>;
  try {
    message = await (await openpgpLib()).readMessage({ binaryMessage: Uint8Array.from(entry) });
  } catch (err) {
    throw corrupt((err as Error).message.split('\n')[0] ?? 'unreadable', err);
  }
  if (message.getEncryptionKeyIDs().length === 0) throw corrupt('no public-key encrypted session key');
  return message;
}

/**
 * Recipient key ids of a message, as ctr-enc prints them: `0x` + lowercase hex
 * without leading zeros.
 */
export async function pgpRecipientKeyIds(entry: Uint8Array): Promise<string[]> {
  const message = await readPgpMessage(entry);
  return message.getEncryptionKeyIDs().map((id) => `0x${id.toHex().replace(/^0+(?=.)/, '')}`);
}

/**
 * Decrypts with the first of `secretKeys` that holds a subkey the message was
 * encrypted to. Undefined when no key matches; a matching key that fails (wrong
 * key material, tampered message) is an error.
 */
export async function unwrapPgp(entry: Uint8Array, secretKeys: readonly openpgp.PrivateKey[]): Promise<Uint8Array | undefined> {
  const message = await readPgpMessage(entry);
  const wanted = new Set(message.getEncryptionKeyIDs().map((id) => id.toHex()));
  const matching = secretKeys.filter((k) => k.getKeyIDs().some((id) => wanted.has(id.toHex())));
  if (matching.length === 0) return undefined;
  try {
    const lib = await openpgpLib();
    const result = await lib.decrypt({ message, decryptionKeys: matching, format: 'binary', config: config(lib) });
    return result.data;
  } catch (err) {
    throw corrupt(`decryption with key ${matching.map(keyLabel).join(', ')} failed: ${(err as Error).message.split('\n')[0] ?? ''}`, err);
  }
}
