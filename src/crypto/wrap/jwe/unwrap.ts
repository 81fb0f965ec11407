/**
 * Unwrapping a JWE annotation entry with whatever private keys we have. Accepts
 * what ocicrypt accepts: flattened or general JSON, alg ∈ JWE_KEY_ALGORITHMS,
 * any RFC 7518 enc; tolerates go-jose's duplicated top-level `encrypted_key`
 * in general JSON.
 */
import type { KeyObject } from 'node:crypto';
import type { FlattenedJWE, GeneralJWE } from 'jose';
import { ImgsealError } from '../../../errors.js';
import { privateKeyOf } from '../../keys/material.js';
import { oaepDeviceOf, unwrapJweWithDecrypter } from './external-key.js';
import type { DecryptionKey } from '../types.js';
import { JWE_CONTENT_ENCRYPTIONS, JWE_KEY_ALGORITHMS, jweKeyFamily } from './algorithms.js';

const OPTIONS = { keyManagementAlgorithms: [...JWE_KEY_ALGORITHMS], contentEncryptionAlgorithms: [...JWE_CONTENT_ENCRYPTIONS] };

/**
 * Every recipient is tried with every key (a private-key operation each), so an entry
 * from a hostile image with thousands of recipients would keep a pull busy for minutes
 * (found by fuzzing). Images are encrypted to a handful of recipients.
 */
export const MAX_JWE_RECIPIENTS = 256;

/** Parses a JWE JSON serialization; throws INVALID_ENCRYPTION_METADATA when it is none. */
export function parseJweJson(entry: Uint8Array): Record<string, unknown> {
  let v: unknown;
  try {
    v = JSON.parse(Buffer.from(entry).toString('utf8'));
  } catch {
    throw new ImgsealError('INVALID_ENCRYPTION_METADATA', 'JWE annotation entry is not JSON (compact serialization is not used by ocicrypt)');
  }
  if (typeof v !== 'object' || v === null || Array.isArray(v) || typeof (v as Record<string, unknown>).ciphertext !== 'string') {
    throw new ImgsealError('INVALID_ENCRYPTION_METADATA', 'JWE annotation entry is not a JWE JSON serialization');
  }
  const recipients = (v as Record<string, unknown>).recipients;
  if (Array.isArray(recipients) && recipients.length > MAX_JWE_RECIPIENTS) {
    throw new ImgsealError('INVALID_ENCRYPTION_METADATA', `JWE annotation entry has ${recipients.length} recipients; more than ${MAX_JWE_RECIPIENTS} are refused`);
  }
  return v as Record<string, unknown>;
}

/**
 * Returns the plaintext for the first key that decrypts, undefined when none
 * does. A structurally broken JWE throws (callers collect that and go on to
 * the next entry, as Go does).
 */
export async function unwrapJwe(entry: Uint8Array, keys: readonly DecryptionKey[]): Promise<Uint8Array | undefined> {
  const privateKeys = keys.map(privateKeyOf).filter((k): k is KeyObject => k !== undefined && jweKeyFamily(k) !== undefined);
  const jwe = parseJweJson(entry);
  const found = await unwrapJweWith(jwe, privateKeys);
  if (found) return found;
  // Keys that never leave their device (PKCS#11 tokens) decrypt the RSA-OAEP CEK there.
  for (const k of keys) {
    const device = oaepDeviceOf(k);
    const out = device && unwrapJweWithDecrypter(entry, device);
    if (out) return out;
  }
  return undefined;
}

/** unwrapJwe on a parsed JWE with bare private keys. */
export async function unwrapJweWith(jwe: Record<string, unknown>, privateKeys: readonly KeyObject[]): Promise<Uint8Array | undefined> {
  let decrypt: (key: KeyObject) => Promise<Uint8Array>;
  if (Array.isArray(jwe.recipients)) {
    // Go ignores the top-level encrypted_key/header when recipients exist; jose
    // does too today, but stripping them keeps that independent of its version.
    const { encrypted_key: _k, header: _h, ...general } = jwe;
    // jose's subpath modules, not its root: the root loads all 46 of its files (~90 ms,
    // paid by every containerd decoder run, once per layer); a decrypt needs half.
    decrypt = async (key) => (await (await import('jose/jwe/general/decrypt')).generalDecrypt(general as unknown as GeneralJWE, key, OPTIONS)).plaintext;
  } else {
    decrypt = async (key) => (await (await import('jose/jwe/flattened/decrypt')).flattenedDecrypt(jwe as unknown as FlattenedJWE, key, OPTIONS)).plaintext;
  }
  let lastStructural: Error | undefined;
  for (const k of privateKeys) {
    try {
      return await decrypt(k);
    } catch (err) {
      // "This key does not fit" is the normal case; remember only errors that
      // say the JWE itself is malformed so they are not lost.
      if ((err as { code?: string }).code === 'ERR_JWE_INVALID') lastStructural = err as Error;
    }
  }
  if (lastStructural) {
    throw new ImgsealError('INVALID_ENCRYPTION_METADATA', `invalid JWE annotation entry: ${lastStructural.message}`, { cause: lastStructural });
  }
  return undefined;
}
