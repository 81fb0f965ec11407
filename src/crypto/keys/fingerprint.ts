/**
 * Key fingerprints: the RFC 7638 JWK thumbprint (SHA-256, base64url) of the
 * public key. The same string is written as `kid` in JWE recipient headers,
 * printed by `imgseal keygen` and shown by layerinfo, so users can match them.
 */
import { createPublicKey, type KeyObject } from 'node:crypto';
import type { JWK } from 'jose';

export async function publicKeyFingerprint(key: KeyObject): Promise<string> {
  const pub = key.type === 'private' ? createPublicKey(key) : key;
  // jose is loaded on first use: commands that never touch keys start without it.
  const { calculateJwkThumbprint } = await import('jose/jwk/thumbprint');
  return calculateJwkThumbprint(pub.export({ format: 'jwk' }) as JWK, 'sha256');
}
