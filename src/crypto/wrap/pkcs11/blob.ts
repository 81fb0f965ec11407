/**
 * The pkcs11 annotation entry (ocicrypt's Pkcs11Blob), in Go's field order:
 * `{"version":0,"recipients":[{"version":0,"blob":"<std-base64 RSA-OAEP>","hash":"sha1"}]}`.
 * Read like Go reads it: unknown fields ignored (the entry comes from an image,
 * not from a file the user wrote), any version other than 0 refused.
 */
import { ImgsealError } from '../../../errors.js';
import { oaepHashOfEntry, type OaepHash } from './oaep.js';

export interface Pkcs11BlobRecipient {
  ciphertext: Uint8Array;
  hash: OaepHash;
}

function malformed(what: string): ImgsealError {
  return new ImgsealError('INVALID_ENCRYPTION_METADATA', `invalid PKCS#11 annotation entry: ${what}`);
}

export function encodePkcs11Blob(recipients: readonly Pkcs11BlobRecipient[]): Uint8Array {
  const json = { version: 0, recipients: recipients.map((r) => ({ version: 0, blob: Buffer.from(r.ciphertext).toString('base64'), hash: r.hash })) };
  return Buffer.from(JSON.stringify(json), 'utf8');
}

export function decodePkcs11Blob(entry: Uint8Array): Pkcs11BlobRecipient[] {
  let v: unknown;
  try {
    v = JSON.parse(Buffer.from(entry).toString('utf8'));
  } catch {
    throw malformed('not JSON');
  }
  if (typeof v !== 'object' || v === null || Array.isArray(v)) throw malformed('not a JSON object');
  const blob = v as Record<string, unknown>;
  if ((blob.version ?? 0) !== 0) throw malformed(`version ${JSON.stringify(blob.version)}, but the maximum supported version is 0`);
  if (!Array.isArray(blob.recipients)) throw malformed('no recipients list');
  const out: Pkcs11BlobRecipient[] = [];
  for (const r of blob.recipients as unknown[]) {
    if (typeof r !== 'object' || r === null) throw malformed('a recipient is not an object');
    const rec = r as Record<string, unknown>;
    if ((rec.version ?? 0) !== 0) throw malformed(`recipient version ${JSON.stringify(rec.version)}, but the maximum supported version is 0`);
    const hash = oaepHashOfEntry(rec.hash);
    if (!hash) throw malformed(`unsupported OAEP hash ${JSON.stringify(rec.hash)}`);
    if (typeof rec.blob !== 'string' || !/^[A-Za-z0-9+/]*={0,2}$/.test(rec.blob) || rec.blob.length === 0) {
      // Go skips undecodable blobs and tries the next recipient.
      continue;
    }
    out.push({ ciphertext: Buffer.from(rec.blob, 'base64'), hash });
  }
  return out;
}
