/**
 * Simple signing (spec §1): an OpenPGP signed message carrying the JSON payload.
 * Verification is pure: the blob, the trusted public keys and the expected manifest
 * digest in, the signer's primary fingerprint and the parsed payload out — the
 * payload is parsed only after the signature verified with one of the trusted keys.
 * A signature by a signing subkey of a trusted key counts as that key's, as current
 * containers/image does.
 */
import type * as openpgp from 'openpgp';
import { ImgsealError } from '../errors.js';
import { sha256Digest } from '../model/digest.js';
import { openpgpLib } from '../util/openpgp-lib.js';
import { parsePayload, type SignaturePayload } from './payload.js';

export interface VerifiedSimpleSignature {
  /** The primary key fingerprint of the signer, 40 upper-case hex digits. */
  signerFingerprint: string;
  payload: SignaturePayload;
}

/** Reads one or more public keys from a keyring file's bytes (binary or armored). */
export async function readPublicKeys(bytes: Buffer, where: string): Promise<openpgp.PublicKey[]> {
  try {
    const text = bytes.toString('latin1');
    const lib = await openpgpLib();
    if (text.includes('-----BEGIN PGP PUBLIC KEY BLOCK-----')) return await lib.readKeys({ armoredKeys: bytes.toString('utf8') });
    return await lib.readKeys({ binaryKeys: new Uint8Array(bytes) });
  } catch (err) {
    throw new ImgsealError('INVALID_KEY', `${where}: not an OpenPGP public keyring (${(err as Error).message})`);
  }
}

export function fingerprintOf(key: openpgp.Key): string {
  return key.getFingerprint().toUpperCase();
}

/**
 * Verifies `untrustedBlob` with `trustedKeys` (only those). Throws SIGNATURE_INVALID
 * with containers/image's wording when it does not verify.
 */
export async function verifySimpleSignature(untrustedBlob: Buffer, trustedKeys: openpgp.PublicKey[], now: Date = new Date()): Promise<VerifiedSimpleSignature> {
  let message: openpgp.Message<Uint8Array>;
  try {
    message = await (await openpgpLib()).readMessage({ binaryMessage: new Uint8Array(untrustedBlob) });
  } catch (err) {
    throw new ImgsealError('SIGNATURE_INVALID', `Invalid GPG signature: not an OpenPGP message (${(err as Error).message})`);
  }
  const ids = message.getSigningKeyIDs();
  if (ids.length !== 1) throw new ImgsealError('SIGNATURE_INVALID', `Invalid GPG signature: ${ids.length} signatures in one message, exactly 1 expected`);
  const keyID = ids[0] as openpgp.KeyID;
  const untrustedSigner = trustedKeys.find((k) => k.getKeys(keyID).length > 0);
  if (!untrustedSigner) {
    throw new ImgsealError('SIGNATURE_INVALID', `Invalid GPG signature: signed by key ${keyID.toHex().toUpperCase()}, which is not a trusted key`);
  }
  await requireUsableNow(untrustedSigner, keyID, now);
  let result: Awaited<ReturnType<typeof openpgp.verify<Uint8Array>>>;
  try {
    result = await (await openpgpLib()).verify({ message, verificationKeys: trustedKeys, expectSigned: true, format: 'binary', date: now });
  } catch (err) {
    throw new ImgsealError('SIGNATURE_INVALID', `Invalid GPG signature: ${(err as Error).message}`);
  }
  if (result.signatures.length !== 1) throw new ImgsealError('SIGNATURE_INVALID', `Invalid GPG signature: ${result.signatures.length} signatures in one message, exactly 1 expected`);
  const sig = result.signatures[0] as (typeof result.signatures)[number];
  const signer = trustedKeys.find((k) => k.getKeys(sig.keyID).length > 0);
  try {
    await sig.verified;
  } catch (err) {
    const id = sig.keyID.toHex().toUpperCase();
    if (!signer) throw new ImgsealError('SIGNATURE_INVALID', `Invalid GPG signature: signed by key ${id}, which is not a trusted key`);
    throw new ImgsealError('SIGNATURE_INVALID', `Invalid GPG signature by ${fingerprintOf(signer)}: ${(err as Error).message}`);
  }
  if (!signer) throw new ImgsealError('SIGNATURE_INVALID', `Invalid GPG signature: signed by key ${sig.keyID.toHex().toUpperCase()}, which is not a trusted key`);
  const payload = parsePayload(Buffer.from(result.data));
  return { signerFingerprint: fingerprintOf(signer), payload };
}

const iso = (d: Date): string => d.toISOString().replace(/\.000Z$/, 'Z');

/**
 * gpgme (containers/image) judges the signing key as it is now, not as it was when
 * the signature was made: a revoked key (REVKEYSIG) and a key that has expired since
 * (EXPKEYSIG) both fail, where openpgp.js alone would accept a signature made before
 * the expiry. Checked for the primary key and for the signing subkey.
 */
async function requireUsableNow(key: openpgp.PublicKey, keyID: openpgp.KeyID, now: Date): Promise<void> {
  const fpr = fingerprintOf(key);
  const fail = (why: string): never => {
    throw new ImgsealError('SIGNATURE_INVALID', `Invalid GPG signature by ${fpr}: ${why}`);
  };
  if (await key.isRevoked(undefined, undefined, now)) fail('the key is revoked');
  const expires = await key.getExpirationTime().catch(() => null);
  if (expires instanceof Date && expires.getTime() <= now.getTime()) fail(`the key expired on ${iso(expires)}`);
  const subkey = key.getSubkeys(keyID)[0];
  if (!subkey) return;
  const subFpr = subkey.getFingerprint().toUpperCase();
  if (await subkey.isRevoked(undefined as unknown as openpgp.SignaturePacket, key.keyPacket, now).catch(() => false)) fail(`its signing subkey ${subFpr} is revoked`);
  const subExpires = await subkey.getExpirationTime(now).catch(() => null);
  if (subExpires instanceof Date && subExpires.getTime() <= now.getTime()) fail(`its signing subkey ${subFpr} expired on ${iso(subExpires)}`);
}

/**
 * The digest containers/image compares a signature's docker-manifest-digest with
 * (spec §1.3): sha256 of the exact bytes (schema 1 signed manifests are out of scope).
 */
export function manifestDigestForSignature(manifest: Buffer): string {
  return sha256Digest(manifest);
}

/** The digest check of spec §1.4 step 4, with containers/image's text. */
export function requireDigestMatches(payload: SignaturePayload, manifest: Buffer): void {
  if (payload.dockerManifestDigest !== manifestDigestForSignature(manifest)) {
    throw new ImgsealError('SIGNATURE_INVALID', `Signature for docker digest "${payload.dockerManifestDigest}" does not match`);
  }
}
