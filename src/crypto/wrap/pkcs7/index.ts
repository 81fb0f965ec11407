/**
 * The `pkcs7` key-wrap scheme (spec §5.2): `pkcs7:CERT` recipients, unwrapped with
 * the shared `private-key` and `certificates` material (give the key and the
 * certificate as two `--decryption-key` files, as with skopeo). Recipients are
 * identified by issuer + serial, so `recipients remove pkcs7:CERT` drops exactly
 * that RecipientInfo.
 */
import { X509Certificate } from 'node:crypto';
import { ImgsealError } from '../../../errors.js';
import { pemBlocks, readKeyFile } from '../../keys/files.js';
import { certificatesOf, privateKeyOf } from '../../keys/material.js';
import type { KeyScheme, Recipient } from '../types.js';

// The CMS code pulls in the @peculiar ASN.1 libraries (~20 MiB, ~150 ms to load), so it
// loads when a pkcs7 recipient or annotation entry is actually handled, not before.
const certificateCode = (): Promise<typeof import('./certificate.js')> => import('./certificate.js');
const cmsCode = (): Promise<typeof import('./cms.js')> => import('./cms.js');
const envelopeCode = (): Promise<typeof import('./envelope.js')> => import('./envelope.js');

export interface Pkcs7RecipientMaterial {
  certificate: X509Certificate;
}

function material(r: Recipient): Pkcs7RecipientMaterial {
  const m = r.material as Partial<Pkcs7RecipientMaterial> | undefined;
  if (r.scheme !== 'pkcs7' || !(m?.certificate instanceof X509Certificate)) {
    throw new ImgsealError('INVALID_RECIPIENT', `${r.source}: not a pkcs7 recipient with a certificate`);
  }
  return m as Pkcs7RecipientMaterial;
}

/** `pkcs7:FILE`: an X.509 certificate (PEM, first CERTIFICATE block, or DER) with an RSA key. */
export async function parsePkcs7Recipient(path: string): Promise<Recipient> {
  const source = `pkcs7:${path}`;
  if (path === '') throw new ImgsealError('INVALID_RECIPIENT', `Invalid recipient format: ${source} (missing certificate file after pkcs7:)`);
  const data = await readKeyFile(path, 'INVALID_RECIPIENT');
  const pem = pemBlocks(data).find((b) => b.label === 'CERTIFICATE');
  let certificate: X509Certificate;
  try {
    certificate = new X509Certificate(pem ? pem.text : data);
  } catch {
    throw new ImgsealError('INVALID_RECIPIENT', `File provided is not an x509 cert: ${path} (pkcs7: needs the recipient's X.509 certificate, PEM or DER)`);
  }
  const { describeIssuerSerial, recipientCertificate } = await certificateCode();
  const cert = recipientCertificate(certificate, path);
  return { scheme: 'pkcs7', source, label: `pkcs7:${describeIssuerSerial(cert.issuer, cert.serial)}`, material: { certificate } satisfies Pkcs7RecipientMaterial };
}

export const pkcs7Scheme: KeyScheme = {
  prefix: 'pkcs7',
  handles: (scheme) => scheme === 'pkcs7',
  parseRecipient: (value) => parsePkcs7Recipient(value),
  wrap: async (_scheme, privateOptions, recipients) => (await envelopeCode()).wrapPkcs7(privateOptions, recipients.map((r) => ({ certificate: material(r).certificate, source: r.source }))),
  unwrap: async (_scheme, entry, keys) => {
    const privateKeys = keys.keys.map(privateKeyOf).filter((k) => k !== undefined);
    const certificates = certificatesOf(keys.keys).map((certificate) => ({ certificate, source: 'certificate' }));
    return (await envelopeCode()).unwrapPkcs7(entry, { privateKeys, certificates });
  },
  describe: async (_scheme, entry) => (await envelopeCode()).describePkcs7Recipients(entry),
  removeRecipients: async (_scheme, entry, targets) => {
    const { buildEnvelope, parseEnvelope } = await cmsCode();
    const { describeIssuerSerial, recipientCertificate, sameBytes } = await certificateCode();
    const env = parseEnvelope(entry);
    const ids = targets.map((t) => recipientCertificate(material(t).certificate, t.source));
    const removed: string[] = [];
    const kept = env.recipients.filter((r) => {
      const hit = ids.some((id) => sameBytes(id.issuer, r.issuer) && sameBytes(id.serial, r.serial));
      if (hit) removed.push(`pkcs7:${describeIssuerSerial(r.issuer, r.serial)}`);
      return !hit;
    });
    if (removed.length === 0) return { entry, removed, remaining: env.recipients.length };
    return { entry: kept.length === 0 ? undefined : buildEnvelope({ ...env, recipients: kept }), removed, remaining: kept.length };
  },
};
