/**
 * AES-GCM with a secret key that stays on the token (C_Encrypt / C_Decrypt with
 * CKM_AES_GCM), for wrapping whole key files with a token's AES key. The IV is the
 * caller's (SoftHSM and most tokens take it from the mechanism parameters); the tag is
 * 128 bits and sits at the end of the ciphertext, as PKCS#11 returns it.
 */
import type * as Pkcs11Js from 'pkcs11js';
import { ImgsealError } from '../../../errors.js';
import { nativeCode, type TokenSession } from './token.js';

export const GCM_TAG_BYTES = 16;

function gcm(s: TokenSession, iv: Uint8Array, aad: Uint8Array): Pkcs11Js.Mechanism {
  const L = s.lib;
  // The v2.40 struct (with ulIvBits), which SoftHSM 2.6 and current tokens are built against.
  const parameter: Pkcs11Js.AesGCM = { type: L.CK_PARAMS_AES_GCM_v240, iv: Buffer.from(iv), ivBits: iv.length * 8, aad: Buffer.from(aad), tagBits: GCM_TAG_BYTES * 8 };
  return { mechanism: L.CKM_AES_GCM, parameter };
}

function refused(s: TokenSession, what: string, err: unknown): ImgsealError {
  const L = s.lib;
  const code = nativeCode(err);
  if (code === L.CKR_MECHANISM_INVALID || code === L.CKR_MECHANISM_PARAM_INVALID) {
    return new ImgsealError('PKCS11_ERROR', `pkcs11: the token does not do AES-GCM (${s.keyFile.file})`, { cause: err });
  }
  if (code === L.CKR_KEY_TYPE_INCONSISTENT || code === L.CKR_KEY_FUNCTION_NOT_PERMITTED) {
    return new ImgsealError('PKCS11_ERROR', `pkcs11: the key is not an AES key allowed to ${what} (${(err as Error).message}; ${s.keyFile.file})`, { cause: err });
  }
  return new ImgsealError('PKCS11_ERROR', `pkcs11: C_${what === 'encrypt' ? 'Encrypt' : 'Decrypt'}Init failed: ${(err as Error).message} (${s.keyFile.file})`, { cause: err });
}

export function tokenGcmEncrypt(s: TokenSession, key: Buffer, iv: Uint8Array, aad: Uint8Array, plaintext: Uint8Array): Buffer {
  try {
    s.p11.C_EncryptInit(s.session, gcm(s, iv, aad), key);
  } catch (err) {
    throw refused(s, 'encrypt', err);
  }
  return Buffer.from(s.p11.C_Encrypt(s.session, Buffer.from(plaintext), Buffer.alloc(plaintext.length + GCM_TAG_BYTES + 16)));
}

/** The plaintext, or undefined when the tag does not verify (altered data, or another key). */
export function tokenGcmDecrypt(s: TokenSession, key: Buffer, iv: Uint8Array, aad: Uint8Array, ciphertext: Uint8Array): Buffer | undefined {
  try {
    s.p11.C_DecryptInit(s.session, gcm(s, iv, aad), key);
  } catch (err) {
    throw refused(s, 'decrypt', err);
  }
  try {
    return Buffer.from(s.p11.C_Decrypt(s.session, Buffer.from(ciphertext), Buffer.alloc(Math.max(ciphertext.length, 16))));
  } catch {
    // Tokens report a failed tag differently (SoftHSM: CKR_GENERAL_ERROR; others
    // CKR_ENCRYPTED_DATA_INVALID); after a successful C_DecryptInit each means "does not verify".
    return undefined;
  }
}

/** The label (UTF-8) and id (hex) a key object carries, for recording which key wrapped. */
export function keyObjectNames(s: TokenSession, key: Buffer): { label: string; id: string; aes: boolean } {
  const L = s.lib;
  const [label, id, type] = s.p11.C_GetAttributeValue(s.session, key, [{ type: L.CKA_LABEL }, { type: L.CKA_ID }, { type: L.CKA_KEY_TYPE }]).map((a) => a.value);
  const aes = type instanceof Buffer && type.readUIntLE(0, Math.min(type.length, 6)) === L.CKK_AES;
  return { label: label instanceof Buffer ? label.toString('utf8') : '', id: id instanceof Buffer ? id.toString('hex') : '', aes };
}

/** The label of the token the session is on. */
export function tokenLabel(s: TokenSession): string {
  const info = s.p11.C_GetSessionInfo(s.session);
  return s.p11.C_GetTokenInfo(info.slotID).label.trimEnd();
}
