/**
 * The OAEP hash of the pkcs11 scheme. ocicrypt (crypto/pkcs11/pkcs11helpers.go,
 * since 1.1.x) encrypts with SHA-1 unless OCICRYPT_OAEP_HASHALG=sha256, writes
 * the hash into each recipient (`"hash":"sha1"`), and reads a missing hash as
 * SHA-1 (older writers left it out). SHA-1 is the default because SoftHSM 2.6
 * does OAEP with SHA-1 only; and the 193-byte private options do not fit
 * RSA-2048 with OAEP-SHA-256 at all (k − 2·hLen − 2 = 190). The spec text that
 * says "sha256 by default" describes an older ocicrypt; we follow the code.
 * The label is empty and MGF1 uses the same hash.
 */
import { constants, publicEncrypt, type KeyObject } from 'node:crypto';
import { ImgsealError } from '../../../errors.js';

export type OaepHash = 'sha1' | 'sha256';

const HASH_BYTES: Record<OaepHash, number> = { sha1: 20, sha256: 32 };

/** OCICRYPT_OAEP_HASHALG (injected environment): unset/empty/sha1 → sha1, sha256 → sha256. */
export function oaepHashFromEnv(env: Readonly<Record<string, string | undefined>>): OaepHash {
  const v = (env.OCICRYPT_OAEP_HASHALG ?? '').toLowerCase();
  if (v === '' || v === 'sha1') return 'sha1';
  if (v === 'sha256') return 'sha256';
  throw new ImgsealError('INVALID_ARGUMENT', `OCICRYPT_OAEP_HASHALG=${env.OCICRYPT_OAEP_HASHALG}: unsupported OAEP hash (use sha1 or sha256)`);
}

/** The hash of a recipient entry: missing or empty means SHA-1 (as ocicrypt reads old blobs). */
export function oaepHashOfEntry(hash: unknown): OaepHash | undefined {
  if (hash === undefined || hash === null || hash === '' || hash === 'sha1') return 'sha1';
  if (hash === 'sha256') return 'sha256';
  return undefined;
}

/** Fails early, with the fix, when the message cannot fit this key with this hash. */
export function checkOaepCapacity(publicKey: KeyObject, hash: OaepHash, length: number, source: string): void {
  const bits = publicKey.asymmetricKeyDetails?.modulusLength ?? 0;
  const capacity = Math.floor(bits / 8) - 2 * HASH_BYTES[hash] - 2;
  if (length > capacity) {
    throw new ImgsealError(
      'INVALID_RECIPIENT',
      `${source}: an RSA-${bits} key with OAEP-${hash.toUpperCase()} can carry ${capacity} bytes, the layer key options are ${length}` +
        (hash === 'sha256' ? '; use OCICRYPT_OAEP_HASHALG=sha1 or a key of 3072 bits or more' : '; use a larger key'),
    );
  }
}

export function oaepEncrypt(publicKey: KeyObject, hash: OaepHash, message: Uint8Array): Buffer {
  return publicEncrypt({ key: publicKey, padding: constants.RSA_PKCS1_OAEP_PADDING, oaepHash: hash }, message);
}
