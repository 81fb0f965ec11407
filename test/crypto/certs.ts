// Throwaway self-signed certificates for the PKCS#7 tests, made in-process
// with @peculiar/x509 on Node's WebCrypto (no external tool needed).
import { KeyObject, webcrypto, X509Certificate } from 'node:crypto';
import * as x509 from '@peculiar/x509';

x509.cryptoProvider.set(webcrypto as unknown as Parameters<typeof x509.cryptoProvider.set>[0]);

export interface TestCert {
  certificate: X509Certificate;
  privateKey: KeyObject;
  pem: string;
  keyPem: string;
}

export async function makeCert(cn: string, kind: 'rsa' | 'ec' = 'rsa', serial = '01'): Promise<TestCert> {
  const alg =
    kind === 'rsa'
      ? { name: 'RSASSA-PKCS1-v1_5', hash: 'SHA-256', publicExponent: new Uint8Array([1, 0, 1]), modulusLength: 2048 }
      : { name: 'ECDSA', namedCurve: 'P-256', hash: 'SHA-256' };
  const keys = (await webcrypto.subtle.generateKey(alg, true, kind === 'rsa' ? ['sign', 'verify'] : ['sign', 'verify'])) as webcrypto.CryptoKeyPair;
  const cert = await x509.X509CertificateGenerator.createSelfSigned({
    serialNumber: serial,
    name: `CN=${cn}`,
    notBefore: new Date('2020-01-01T00:00:00Z'),
    notAfter: new Date('2120-01-01T00:00:00Z'),
    signingAlgorithm: alg,
    keys,
  });
  const privateKey = KeyObject.from(keys.privateKey);
  return {
    certificate: new X509Certificate(Buffer.from(cert.rawData)),
    privateKey,
    pem: cert.toString('pem'),
    keyPem: privateKey.export({ format: 'pem', type: 'pkcs8' }).toString(),
  };
}
