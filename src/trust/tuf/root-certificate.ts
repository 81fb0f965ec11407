/**
 * The self-signed certificate that wraps a root key in root.json (`ecdsa-x509`), as
 * the notary client makes it: CN = the GUN, 10 years, KeyUsage digitalSignature +
 * keyEncipherment (critical), ExtKeyUsage codeSigning, BasicConstraints CA:false
 * (critical), ECDSA-SHA256. Readers refuse a root whose certificate names another GUN.
 */
import { randomBytes, webcrypto, type KeyObject } from 'node:crypto';

export async function makeRootCertificate(privateKey: KeyObject, publicKey: KeyObject, gun: string, now: Date, years = 10): Promise<string> {
  const x509 = await import('@peculiar/x509');
  x509.cryptoProvider.set(webcrypto as unknown as Parameters<typeof x509.cryptoProvider.set>[0]);
  const alg = { name: 'ECDSA', namedCurve: 'P-256' };
  const keys = {
    privateKey: await webcrypto.subtle.importKey('pkcs8', privateKey.export({ format: 'der', type: 'pkcs8' }), alg, false, ['sign']),
    publicKey: await webcrypto.subtle.importKey('spki', publicKey.export({ format: 'der', type: 'spki' }), alg, true, ['verify']),
  };
  const notAfter = new Date(now);
  notAfter.setUTCFullYear(notAfter.getUTCFullYear() + years);
  const serial = randomBytes(16);
  serial[0] = (serial[0] as number) & 0x7f; // a positive INTEGER
  const cert = await x509.X509CertificateGenerator.createSelfSigned({
    serialNumber: serial.toString('hex'),
    name: `CN=${gun}`,
    notBefore: now,
    notAfter,
    keys: keys as unknown as Parameters<typeof x509.X509CertificateGenerator.createSelfSigned>[0]['keys'],
    signingAlgorithm: { name: 'ECDSA', hash: 'SHA-256' },
    extensions: [
      new x509.KeyUsagesExtension(x509.KeyUsageFlags.digitalSignature | x509.KeyUsageFlags.keyEncipherment, true),
      new x509.ExtendedKeyUsageExtension([x509.ExtendedKeyUsage.codeSigning]),
      new x509.BasicConstraintsExtension(false, undefined, true),
    ],
  });
  return cert.toString('pem') + '\n';
}
