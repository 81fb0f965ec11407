/**
 * A Secret → the key files it stands for. Types as the seeds' key-sync operator:
 * `key` (each data entry is a key file) and `kp-key` (each entry is a wrapped key: a
 * PKCS#11 envelope from `imgseal kms wrap --pkcs11-config`, or a Key Protect
 * ciphertext of the base64 of a key file: the bare `Ciphertext` string that
 * `ibmcloud kp key wrap` prints, or the operator's JSON `{"ciphertext","keyVersion":{"id"}}`;
 * an entry named `rootkeyid` names the root key for the others). Every key must be a
 * key file runtimes can use without a password; anything else is an error for that
 * entry alone.
 */
import { loadKeyData } from '../../crypto/keys/decryption-key.js';
import { publicKeyFingerprint } from '../../crypto/keys/fingerprint.js';
import { certificatesOf, privateKeyOf } from '../../crypto/keys/material.js';
import { ImgsealError } from '../../errors.js';
import type { KeyUnwrapper } from '../kms/kms.js';

export type KeySecretType = 'key' | 'kp-key';

export interface SecretRecord {
  namespace: string;
  name: string;
  /** The Secret's `type`. */
  type: string;
  /** Decoded data (Kubernetes sends base64; a mounted volume holds the bytes). */
  data: Record<string, Buffer>;
  annotations: Record<string, string>;
  /** Changes whenever the Secret does (resourceVersion, or a content hash). */
  version: string;
}

export type { KeyUnwrapper } from '../kms/kms.js';

export interface SecretKey {
  key: string;
  content: Buffer;
  /** RFC 7638 thumbprint of the public key (certificates: SHA-256 fingerprint); never key material. */
  fingerprint: string;
}

export interface SecretKeys {
  keys: SecretKey[];
  /** Entries that did not give a key: one line each, without secrets. */
  errors: { key: string; message: string }[];
}

export function isKeySecretType(type: string): type is KeySecretType {
  return type === 'key' || type === 'kp-key';
}

const KEY_NAME = /^[-._a-zA-Z0-9]+$/;

export async function secretKeys(secret: SecretRecord, unwrapper: KeyUnwrapper | undefined): Promise<SecretKeys> {
  const out: SecretKeys = { keys: [], errors: [] };
  const rootKeyId = secret.type === 'kp-key' ? secret.data.rootkeyid?.toString('utf8').trim() : undefined;
  for (const key of Object.keys(secret.data).sort()) {
    if (secret.type === 'kp-key' && key === 'rootkeyid') continue;
    const where = `Secret ${secret.namespace}/${secret.name} key ${key}`;
    try {
      if (!KEY_NAME.test(key)) throw new ImgsealError('KEY_SYNC', `${where}: not a valid Secret key name`);
      let content = secret.data[key] as Buffer;
      if (secret.type === 'kp-key') {
        if (!unwrapper) throw new ImgsealError('KEY_SYNC', `${where}: a kp-key Secret needs a KMS configuration (Secret keyprotect-config, --keyprotect-config or --pkcs11-config)`);
        const { ciphertext, rootKeyId: own } = kpCiphertext(content, where);
        const hint = own ?? (rootKeyId || undefined);
        content = await unwrapper.unwrap(ciphertext, hint ? { rootKeyId: hint } : {});
      }
      out.keys.push({ key, content, fingerprint: await fingerprintOf(content, where) });
    } catch (err) {
      const message = err instanceof Error ? err.message : String(err);
      out.errors.push({ key, message: message.includes(where) ? message : `${where}: ${message}` });
    }
  }
  return out;
}

function kpCiphertext(value: Buffer, where: string): { ciphertext: string; rootKeyId?: string } {
  const text = value.toString('utf8').trim();
  if (text.startsWith('{')) {
    let o: { ciphertext?: unknown; keyVersion?: { id?: unknown } };
    try {
      o = JSON.parse(text) as typeof o;
    } catch {
      throw new ImgsealError('KEY_SYNC', `${where}: neither a Key Protect ciphertext nor its JSON reply`);
    }
    if (typeof o.ciphertext !== 'string' || o.ciphertext === '') throw new ImgsealError('KEY_SYNC', `${where}: the JSON has no "ciphertext"`);
    const id = o.keyVersion?.id;
    return { ciphertext: o.ciphertext, ...(typeof id === 'string' && id ? { rootKeyId: id } : {}) };
  }
  if (!/^[A-Za-z0-9+/=_-]+$/.test(text)) throw new ImgsealError('KEY_SYNC', `${where}: not a Key Protect ciphertext`);
  return { ciphertext: text };
}

async function fingerprintOf(content: Buffer, where: string): Promise<string> {
  let parsed;
  try {
    // Every key file imgseal reads (schemes claim theirs: OpenPGP keyrings, PKCS#11 key files).
    parsed = await loadKeyData({ path: where, data: content, passwords: [] });
  } catch (err) {
    if (err instanceof ImgsealError && err.code === 'KEY_PASSWORD') {
      throw new ImgsealError('KEY_SYNC', `${where}: the key is password-protected; runtimes have no way to get the password`);
    }
    throw new ImgsealError('KEY_SYNC', err instanceof ImgsealError ? err.message : `${where}: not a usable key file`);
  }
  const key = privateKeyOf(parsed);
  if (key) return publicKeyFingerprint(key);
  const cert = certificatesOf([parsed])[0];
  if (cert) return `x509:${cert.fingerprint256.replace(/:/g, '').toLowerCase()}`;
  return parsed.kind;
}
