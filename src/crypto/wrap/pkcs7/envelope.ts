/**
 * Wrapping the private options into one EnvelopedData for all PKCS#7 recipients
 * and unwrapping it with a private key plus its certificate (spec §5.2), as
 * ocicrypt does: AES-128-GCM content (12-byte nonce, 16-byte tag, no AAD), the
 * 16-byte content key sent to each certificate with RSAES-PKCS1-v1_5, the
 * recipient found by issuer + serial of its certificate.
 */
import { createCipheriv, createDecipheriv, createPublicKey, randomBytes, type KeyObject, type X509Certificate } from 'node:crypto';
import { ImgsealError } from '../../../errors.js';
import { buildEnvelope, GCM_KEY_LENGTHS, OID_AES128_GCM, OID_RSA_ENCRYPTION, parseEnvelope, type CmsRecipient } from './cms.js';
import { describeIssuerSerial, recipientCertificate, sameBytes, type RecipientCertificate } from './certificate.js';
import { rsaPkcs1DecryptKey, rsaPkcs1Encrypt } from './rsa-pkcs1.js';

const NONCE_LENGTH = 12;
const TAG_LENGTH = 16;

export interface Pkcs7Recipient {
  certificate: X509Certificate;
  /** What the user wrote, for messages. */
  source: string;
}

export function wrapPkcs7(privateOptions: Uint8Array, recipients: readonly Pkcs7Recipient[]): Uint8Array {
  if (recipients.length === 0) throw new ImgsealError('INTERNAL', 'PKCS#7 wrap called without recipients');
  const certs = recipients.map((r) => recipientCertificate(r.certificate, r.source));
  const key = randomBytes(16);
  const nonce = randomBytes(NONCE_LENGTH);
  const cipher = createCipheriv('aes-128-gcm', key, nonce, { authTagLength: TAG_LENGTH });
  const content = Buffer.concat([cipher.update(privateOptions), cipher.final(), cipher.getAuthTag()]);
  const cmsRecipients: CmsRecipient[] = certs.map((c) => ({
    issuer: c.issuer,
    serial: c.serial,
    keyEncryptionAlgorithm: OID_RSA_ENCRYPTION,
    encryptedKey: rsaPkcs1Encrypt(c.publicKey, key),
  }));
  key.fill(0);
  return buildEnvelope({ recipients: cmsRecipients, contentEncryptionAlgorithm: OID_AES128_GCM, nonce, tagLength: TAG_LENGTH, encryptedContent: content });
}

/** Key material for unwrapping: every private key and every certificate given, in any order/file. */
export interface Pkcs7KeyMaterial {
  privateKeys: readonly KeyObject[];
  certificates: readonly { certificate: X509Certificate; source: string }[];
}

function spki(key: KeyObject): Buffer {
  return (key.type === 'private' ? createPublicKey(key) : key).export({ format: 'der', type: 'spki' });
}

function gcmOpen(algorithm: string, key: Buffer, nonce: Uint8Array, tagLength: number, content: Uint8Array): Buffer | undefined {
  const name = GCM_KEY_LENGTHS.get(algorithm) === 32 ? 'aes-256-gcm' : 'aes-128-gcm';
  const body = content.subarray(0, content.length - tagLength);
  const tag = content.subarray(content.length - tagLength);
  try {
    const d = createDecipheriv(name, key, nonce, { authTagLength: tagLength });
    d.setAuthTag(tag);
    return Buffer.concat([d.update(body), d.final()]);
  } catch {
    return undefined;
  }
}

/**
 * Returns the private options, or undefined when the recipients are not ours.
 * Throws INVALID_ENCRYPTION_METADATA for a broken EnvelopedData, and
 * NO_SUITABLE_KEY with the reason when a certificate or its key is missing,
 * so the user learns what to add.
 */
export function unwrapPkcs7(entry: Uint8Array, material: Pkcs7KeyMaterial): Uint8Array | undefined {
  const env = parseEnvelope(entry);
  const keyLength = GCM_KEY_LENGTHS.get(env.contentEncryptionAlgorithm) ?? 16;
  const rsaKeys = material.privateKeys.filter((k) => k.asymmetricKeyType === 'rsa');
  const certs: RecipientCertificate[] = [];
  for (const c of material.certificates) {
    if (c.certificate.publicKey.asymmetricKeyType === 'rsa') certs.push(recipientCertificate(c.certificate, c.source));
  }
  const ours = certs
    .map((cert) => ({ cert, recipient: env.recipients.find((r) => sameBytes(r.issuer, cert.issuer) && sameBytes(r.serial, cert.serial)) }))
    .filter((m): m is { cert: RecipientCertificate; recipient: CmsRecipient } => m.recipient !== undefined);
  let missingKey: RecipientCertificate | undefined;
  for (const { cert, recipient } of ours) {
    const certKey = spki(cert.publicKey);
    const privateKey = rsaKeys.find((k) => spki(k).equals(certKey));
    if (!privateKey) {
      missingKey = cert;
      continue;
    }
    if (recipient.keyEncryptionAlgorithm !== OID_RSA_ENCRYPTION) continue;
    const key = rsaPkcs1DecryptKey(privateKey, recipient.encryptedKey, keyLength);
    const plain = gcmOpen(env.contentEncryptionAlgorithm, key, env.nonce, env.tagLength, env.encryptedContent);
    key.fill(0);
    if (plain) return plain;
  }
  if (missingKey) {
    throw new ImgsealError('NO_SUITABLE_KEY', `PKCS7: the private key of the recipient certificate ${missingKey.subject} (${describeIssuerSerial(missingKey.issuer, missingKey.serial)}) was not given`);
  }
  if (certs.length === 0 && rsaKeys.length > 0) {
    throw new ImgsealError('NO_SUITABLE_KEY', 'PKCS7: no x509 certificates found needed for PKCS7 decryption (give the recipient certificate as another --decryption-key)');
  }
  return undefined;
}

/** One string per recipient, e.g. `pkcs7:issuer=CN=… serial=5fec…`; `[pkcs7]` when the entry does not parse. */
export function describePkcs7Recipients(entry: Uint8Array): string[] {
  try {
    const env = parseEnvelope(entry);
    return env.recipients.length === 0 ? ['[pkcs7]'] : env.recipients.map((r) => `pkcs7:${describeIssuerSerial(r.issuer, r.serial)}`);
  } catch {
    return ['[pkcs7]'];
  }
}
