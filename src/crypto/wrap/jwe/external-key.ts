/**
 * Unwrapping a JWE whose recipient key cannot be handed to jose because it
 * never leaves its device (a PKCS#11 token): the device decrypts the
 * RSA-OAEP `encrypted_key`, and the AES-GCM content (what ocicrypt always
 * writes, `A256GCM`; A128GCM and A192GCM too) is opened here with the standard
 * JWE AAD, i.e. the ASCII of the protected header (plus `.aad` when present).
 */
import { createDecipheriv } from 'node:crypto';
import type { DecryptionKey } from '../types.js';
import { parseJweJson } from './unwrap.js';

/** RSA-OAEP (SHA-1) or RSA-OAEP-256; returns the CEK, or undefined when the key does not fit. */
export type OaepKeyDecrypter = (encryptedKey: Buffer, hash: 'sha1' | 'sha256') => Buffer | undefined;

/** Key material that can decrypt RSA-OAEP on its device (the pkcs11 scheme's keys have this). */
export interface OaepDeviceKey {
  decryptOaep: OaepKeyDecrypter;
}

/** The device decrypter of a DecryptionKey whose material offers one, else undefined. */
export function oaepDeviceOf(k: DecryptionKey): OaepKeyDecrypter | undefined {
  const m = k.material as Partial<OaepDeviceKey> | undefined;
  return typeof m?.decryptOaep === 'function' ? m.decryptOaep : undefined;
}

const GCM_KEY_BYTES: Record<string, number> = { A128GCM: 16, A192GCM: 24, A256GCM: 32 };

function obj(v: unknown): Record<string, unknown> {
  return typeof v === 'object' && v !== null && !Array.isArray(v) ? (v as Record<string, unknown>) : {};
}

function b64u(v: unknown): Buffer | undefined {
  return typeof v === 'string' && /^[A-Za-z0-9_-]*$/.test(v) ? Buffer.from(v, 'base64url') : undefined;
}

export function unwrapJweWithDecrypter(entry: Uint8Array, decrypt: OaepKeyDecrypter): Uint8Array | undefined {
  const jwe = parseJweJson(entry);
  let shared: Record<string, unknown> = obj(jwe.unprotected);
  const protectedB64 = typeof jwe.protected === 'string' ? jwe.protected : '';
  if (protectedB64) {
    try {
      shared = { ...obj(JSON.parse(Buffer.from(protectedB64, 'base64url').toString('utf8'))), ...shared };
    } catch {
      return undefined;
    }
  }
  const recipients = Array.isArray(jwe.recipients) ? jwe.recipients.map(obj) : [{ header: jwe.header, encrypted_key: jwe.encrypted_key }];
  const iv = b64u(jwe.iv);
  const ciphertext = b64u(jwe.ciphertext);
  const tag = b64u(jwe.tag);
  if (!iv || !ciphertext || !tag) return undefined;
  const aad = typeof jwe.aad === 'string' ? `${protectedB64}.${jwe.aad}` : protectedB64;
  for (const r of recipients) {
    const h = { ...shared, ...obj(r.header) };
    const hash = h.alg === 'RSA-OAEP' ? 'sha1' : h.alg === 'RSA-OAEP-256' ? 'sha256' : undefined;
    const keyBytes = GCM_KEY_BYTES[String(h.enc)];
    const ek = b64u(r.encrypted_key);
    if (!hash || !keyBytes || !ek || h.zip !== undefined) continue;
    const cek = decrypt(ek, hash);
    if (!cek || cek.length !== keyBytes) continue;
    try {
      const d = createDecipheriv(`aes-${keyBytes * 8}-gcm` as 'aes-256-gcm', cek, iv, { authTagLength: 16 });
      d.setAAD(Buffer.from(aad, 'ascii'));
      d.setAuthTag(tag);
      return Buffer.concat([d.update(ciphertext), d.final()]);
    } catch {
      // wrong CEK (cannot happen with OAEP unless the key is wrong) or tampered content
    } finally {
      cek.fill(0);
    }
  }
  return undefined;
}
