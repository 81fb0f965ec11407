/**
 * Key material shared by several schemes, as DecryptionKey kinds: an asymmetric
 * private key (JWE, PKCS#7, PKCS#11 in software all use RSA/EC keys) and X.509
 * certificates (PKCS#7 picks its RecipientInfo by the certificate's issuer and
 * serial). A scheme's own formats (OpenPGP keyrings, PKCS#11 key files, provider
 * names) are kinds defined in its folder.
 */
import type { KeyObject, X509Certificate } from 'node:crypto';
import type { DecryptionKey } from '../wrap/types.js';

export const PRIVATE_KEY_KIND = 'private-key';
export const CERTIFICATES_KIND = 'certificates';
/** A binary OpenPGP secret keyring; kept as bytes until the pgp scheme reads it. */
export const OPENPGP_SECRET_KEYS_KIND = 'openpgp-secret-keys';

export interface PrivateKeyMaterial {
  key: KeyObject;
}
export interface CertificatesMaterial {
  certificates: readonly X509Certificate[];
}
export interface OpenpgpSecretKeysMaterial {
  data: Buffer;
  passwords: readonly Buffer[];
}

export function privateKeyEntry(source: string, key: KeyObject): DecryptionKey {
  return { source, kind: PRIVATE_KEY_KIND, material: { key } satisfies PrivateKeyMaterial };
}

export function certificatesEntry(source: string, certificates: readonly X509Certificate[]): DecryptionKey {
  return { source, kind: CERTIFICATES_KIND, material: { certificates } satisfies CertificatesMaterial };
}

/** The private key of a `private-key` entry, else undefined. */
export function privateKeyOf(k: DecryptionKey): KeyObject | undefined {
  return k.kind === PRIVATE_KEY_KIND ? (k.material as PrivateKeyMaterial).key : undefined;
}

/** Every certificate among the keys (from any `certificates` entry). */
export function certificatesOf(keys: readonly DecryptionKey[]): X509Certificate[] {
  return keys.flatMap((k) => (k.kind === CERTIFICATES_KIND ? [...(k.material as CertificatesMaterial).certificates] : []));
}
