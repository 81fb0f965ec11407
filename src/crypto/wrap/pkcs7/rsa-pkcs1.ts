/**
 * RSAES-PKCS1-v1_5 key transport for PKCS#7 (what ocicrypt's pkcs7 scheme uses).
 *
 * Why decryption is done by hand: Node 20 refuses `RSA_PKCS1_PADDING` in
 * `crypto.privateDecrypt` (CVE-2023-46809, the Marvin attack: the time OpenSSL's
 * old unpadding took, or whether it failed, told an attacker about the plaintext,
 * which is a Bleichenbacher padding oracle). We therefore do the raw RSA operation
 * (`RSA_NO_PADDING`, OpenSSL's blinded, constant-time modular exponentiation) and
 * check the padding here without branches, for a key of the one length we expect
 * (the content cipher's key length is known from the EnvelopedData, so the
 * plaintext length leaks nothing). On bad padding we do not fail: as with
 * "implicit rejection" (draft-irtf-cfrg-rsa-guidance, OpenSSL ≥ 3.2) we return a
 * pseudo-random key derived from the private key and the ciphertext, which is
 * deterministic per ciphertext, and the AES-GCM tag check that follows rejects it
 * exactly as it rejects a wrong key. An attacker sees the same failure, at the
 * same time, whether the padding was bad or the key was wrong.
 */
import { constants, createHash, createHmac, privateDecrypt, publicEncrypt, type KeyObject } from 'node:crypto';
import { ImgsealError } from '../../../errors.js';

/** RSAES-PKCS1-v1_5 encryption of `message` (public-key operations are not affected by the Node 20 ban). */
export function rsaPkcs1Encrypt(publicKey: KeyObject, message: Uint8Array): Uint8Array {
  return publicEncrypt({ key: publicKey, padding: constants.RSA_PKCS1_PADDING }, message);
}

function modulusBytes(key: KeyObject): number {
  const bits = key.asymmetricKeyDetails?.modulusLength;
  if (key.asymmetricKeyType !== 'rsa' || !bits) throw new ImgsealError('INVALID_KEY', 'PKCS#1 v1.5 needs an RSA key');
  return Math.ceil(bits / 8);
}

/** 1 when a === b, else 0, for bytes, without a branch. */
function eqByte(a: number, b: number): number {
  return ((a ^ b) - 1) >>> 31;
}

/** The deterministic stand-in key returned for bad padding (or an out-of-range ciphertext). */
function syntheticKey(privateKey: KeyObject, ciphertext: Uint8Array, length: number): Buffer {
  const kdk = createHmac('sha256', createHash('sha256').update(privateKey.export({ format: 'der', type: 'pkcs8' })).digest())
    .update(ciphertext)
    .digest();
  const out = Buffer.alloc(length);
  for (let block = 0, filled = 0; filled < length; block++) {
    const h = createHmac('sha256', kdk).update('imgseal pkcs1 implicit rejection').update(Buffer.from([block])).digest();
    filled += h.copy(out, filled);
  }
  return out;
}

/**
 * Decrypts a PKCS#1 v1.5 block that must carry exactly `keyLength` bytes.
 * Never throws for bad padding: returns a pseudo-random key of that length
 * instead (see the file comment), so callers must authenticate the result.
 */
export function rsaPkcs1DecryptKey(privateKey: KeyObject, ciphertext: Uint8Array, keyLength: number): Buffer {
  const k = modulusBytes(privateKey);
  // EM = 00 02 PS(≥ 8 non-zero bytes) 00 M; too long a key for this modulus is a
  // property of the public sizes only, so a plain error is fine.
  if (keyLength < 1 || keyLength > k - 11) throw new ImgsealError('INVALID_KEY', `a ${k * 8}-bit RSA key cannot carry a ${keyLength}-byte key with PKCS#1 v1.5`);
  const synthetic = syntheticKey(privateKey, ciphertext, keyLength);
  if (ciphertext.length > k) return synthetic;
  const padded = Buffer.alloc(k);
  Buffer.from(ciphertext).copy(padded, k - ciphertext.length);
  let em: Buffer;
  try {
    em = privateDecrypt({ key: privateKey, padding: constants.RSA_NO_PADDING }, padded);
  } catch {
    // Only a ciphertext ≥ the modulus fails here: that is visible from the public key.
    return synthetic;
  }
  const zeroAt = k - keyLength - 1;
  let good = eqByte(em[0] ?? 1, 0) & eqByte(em[1] ?? 0, 2) & eqByte(em[zeroAt] ?? 1, 0);
  for (let i = 2; i < zeroAt; i++) good &= 1 ^ eqByte(em[i] ?? 0, 0);
  const mask = -good & 0xff;
  const out = Buffer.alloc(keyLength);
  for (let i = 0; i < keyLength; i++) out[i] = ((em[zeroAt + 1 + i] ?? 0) & mask) | ((synthetic[i] ?? 0) & ~mask & 0xff);
  em.fill(0);
  return out;
}
