/**
 * Which private keys of the trust directory can sign a role: the role's listed key IDs,
 * mapped to canonical IDs (x509 keys are stored under their bare key's ID, as notary
 * does), found as files, decrypted with the passphrase for that kind of key.
 */
import type { KeyObject } from 'node:crypto';
import type { TrustDir, StoredKeyInfo } from '../store/trust-dir.js';
import type { TufPublicKey } from '../tuf/index.js';
import type { TufSigner } from '../tuf/sign.js';

/** Passphrases asked for only when a key is actually used (env, or a prompt on a terminal). */
export interface TrustPassphrases {
  root(): Promise<string>;
  /** Targets, snapshot and delegation (signer) keys share docker's repository passphrase. */
  repository(): Promise<string>;
}

export interface KeyRing {
  dir: TrustDir;
  passphrases: TrustPassphrases;
  stored: StoredKeyInfo[];
}

export async function openKeyRing(dir: TrustDir, passphrases: TrustPassphrases): Promise<KeyRing> {
  return { dir, passphrases, stored: await dir.listPrivateKeys() };
}

/** The listed key IDs of a role for which a private key is at hand. */
export function signableKeyIds(ring: KeyRing, keyids: readonly string[], keys: ReadonlyMap<string, TufPublicKey>): string[] {
  return keyids.filter((id) => {
    const k = keys.get(id);
    return k !== undefined && ring.stored.some((s) => s.id === k.canonicalId);
  });
}

export async function signersFor(ring: KeyRing, keyids: readonly string[], keys: ReadonlyMap<string, TufPublicKey>, kind: 'root' | 'repository'): Promise<TufSigner[]> {
  const out: TufSigner[] = [];
  for (const id of signableKeyIds(ring, keyids, keys)) {
    const info = ring.stored.find((s) => s.id === (keys.get(id) as TufPublicKey).canonicalId) as StoredKeyInfo;
    const pass = kind === 'root' ? await ring.passphrases.root() : await ring.passphrases.repository();
    const privateKey: KeyObject = await ring.dir.loadPrivateKey(info, pass);
    out.push({ keyid: id, privateKey });
  }
  return out;
}
