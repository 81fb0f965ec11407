/**
 * Private key files of a docker/notary trust directory: PEM `ENCRYPTED PRIVATE KEY`
 * (PKCS#8 EncryptedPrivateKeyInfo, PBES2 with PBKDF2 and AES-256-CBC) with PEM headers
 * `role: <role>` and, except for root keys, `gun: <gun>`.
 *
 * Notary writes PBKDF2 with its default PRF (HMAC-SHA1, no prf field), an 8-byte salt
 * and 2048 iterations, and reads only that: Node's own encrypted export names
 * hmacWithSHA256, which notary refuses. So the structure is written here, from a fixed
 * template (a handful of DER elements; nothing is parsed by hand: reading goes through
 * OpenSSL via createPrivateKey).
 */
import { createCipheriv, createPrivateKey, pbkdf2Sync, randomBytes, type KeyObject } from 'node:crypto';
import { ImgsealError } from '../../errors.js';

const OID_PBES2 = '1.2.840.113549.1.5.13';
const OID_PBKDF2 = '1.2.840.113549.1.5.12';
const OID_AES256_CBC = '2.16.840.1.101.3.4.1.42';
const ITERATIONS = 2048;

export interface TrustKeyHeaders {
  role: string;
  gun?: string;
}

export function encodeTrustKey(key: KeyObject, passphrase: string, headers: TrustKeyHeaders): string {
  if (passphrase.length === 0) throw new ImgsealError('KEY_PASSWORD', 'an empty passphrase cannot protect a trust key');
  const salt = randomBytes(8);
  const iv = randomBytes(16);
  const dk = pbkdf2Sync(passphrase, salt, ITERATIONS, 32, 'sha1');
  const cipher = createCipheriv('aes-256-cbc', dk, iv);
  const encrypted = Buffer.concat([cipher.update(key.export({ format: 'der', type: 'pkcs8' })), cipher.final()]);
  const der = seq(
    seq(oid(OID_PBES2), seq(seq(oid(OID_PBKDF2), seq(octets(salt), integer(ITERATIONS))), seq(oid(OID_AES256_CBC), octets(iv)))),
    octets(encrypted),
  );
  const lines = der.toString('base64').match(/.{1,64}/g) ?? [];
  // Go's pem.Encode sorts headers by name; a blank line separates them from the body.
  const head = [...(headers.gun ? [`gun: ${headers.gun}`] : []), `role: ${headers.role}`];
  return ['-----BEGIN ENCRYPTED PRIVATE KEY-----', ...head, '', ...lines, '-----END ENCRYPTED PRIVATE KEY-----', ''].join('\n');
}

/** Reads one key file; a wrong passphrase is KEY_PASSWORD, never the key itself in a message. */
export function decodeTrustKey(pem: string, passphrase: string, what: string): { key: KeyObject; headers: TrustKeyHeaders } {
  const headers = readHeaders(pem, what);
  const body = pem.replace(/^(role|gun|path):.*\r?\n/gm, '').replace(/-----BEGIN ([A-Z ]+)-----\r?\n\r?\n/, '-----BEGIN $1-----\n');
  try {
    return { key: createPrivateKey({ key: body, format: 'pem', passphrase }), headers };
  } catch {
    throw new ImgsealError('KEY_PASSWORD', `${what}: wrong passphrase, or not a key this trust directory can hold`);
  }
}

export function readHeaders(pem: string, what: string): TrustKeyHeaders {
  const role = /^role: *(.+?)\s*$/m.exec(pem)?.[1];
  const gun = /^gun: *(.+?)\s*$/m.exec(pem)?.[1];
  if (!role) throw new ImgsealError('INVALID_KEY', `${what} has no role header`);
  return gun ? { role, gun } : { role };
}

function tlv(tag: number, body: Buffer): Buffer {
  const n = body.length;
  const len = n < 0x80 ? Buffer.from([n]) : n < 0x100 ? Buffer.from([0x81, n]) : Buffer.from([0x82, n >> 8, n & 0xff]);
  return Buffer.concat([Buffer.from([tag]), len, body]);
}
const seq = (...items: Buffer[]) => tlv(0x30, Buffer.concat(items));
const octets = (b: Buffer) => tlv(0x04, b);
function integer(n: number): Buffer {
  const hex = n.toString(16);
  let b = Buffer.from(hex.length % 2 ? `0${hex}` : hex, 'hex');
  if ((b[0] as number) & 0x80) b = Buffer.concat([Buffer.from([0]), b]);
  return tlv(0x02, b);
}
function oid(dotted: string): Buffer {
  const [a, b, ...rest] = dotted.split('.').map(Number) as [number, number, ...number[]];
  const bytes = [40 * a + b];
  for (const v of rest) {
    const chunk = [v & 0x7f];
    for (let x = v >>> 7; x > 0; x >>>= 7) chunk.unshift((x & 0x7f) | 0x80);
    bytes.push(...chunk);
  }
  return tlv(0x06, Buffer.from(bytes));
}
