/** What the PKCS#7 scheme needs from an X.509 certificate: issuer + serial (the recipient id) and its RSA key. */
import type { KeyObject, X509Certificate } from 'node:crypto';
import { AsnConvert } from '@peculiar/asn1-schema';
import { Certificate } from '@peculiar/asn1-x509';
import { Name } from '@peculiar/x509';
import { ImgsealError } from '../../../errors.js';

export interface RecipientCertificate {
  /** DER of the issuer Name. */
  issuer: Uint8Array;
  /** INTEGER content bytes of the serial number. */
  serial: Uint8Array;
  publicKey: KeyObject;
  subject: string;
}

export function recipientCertificate(cert: X509Certificate, source: string): RecipientCertificate {
  if (cert.publicKey.asymmetricKeyType !== 'rsa') {
    throw new ImgsealError('INVALID_RECIPIENT', `${source}: pkcs7: only RSA keys are supported (the certificate holds a ${cert.publicKey.asymmetricKeyType ?? 'non-RSA'} key)`);
  }
  let parsed: Certificate;
  try {
    parsed = AsnConvert.parse(cert.raw, Certificate);
  } catch (err) {
    throw new ImgsealError('INVALID_RECIPIENT', `${source}: the X.509 certificate does not parse`, { cause: err });
  }
  return {
    issuer: new Uint8Array(AsnConvert.serialize(parsed.tbsCertificate.issuer)),
    serial: new Uint8Array(parsed.tbsCertificate.serialNumber),
    publicKey: cert.publicKey,
    subject: cert.subject.replace(/\n/g, ', '),
  };
}

// Names and serials come from the image, i.e. from anyone: only printable
// ASCII is shown, so an annotation cannot smuggle control sequences into a terminal.
function printable(s: string): string {
  return s.replace(/[^\x20-\x7e]/g, '?').slice(0, 200);
}

/** `issuer=CN=…, serial=5fec…` for layerinfo and messages. */
export function describeIssuerSerial(issuer: Uint8Array, serial: Uint8Array): string {
  let dn: string;
  try {
    dn = new Name(Buffer.from(issuer)).toString();
  } catch {
    dn = '?';
  }
  return `issuer=${printable(dn)} serial=${Buffer.from(serial).toString('hex')}`;
}

export function sameBytes(a: Uint8Array, b: Uint8Array): boolean {
  return Buffer.from(a).equals(Buffer.from(b));
}
