/**
 * The encrypted private key file of cosign and containers/image (spec §4.6): a PEM
 * block `ENCRYPTED SIGSTORE PRIVATE KEY` (current cosign, skopeo ≥ 1.11) or
 * `ENCRYPTED COSIGN PRIVATE KEY` (older cosign, the only one containers/image 5.23
 * reads) whose body is the go-securesystemslib "encrypted" JSON: scrypt derives the
 * key of a NaCl secretbox (XSalsa20-Poly1305, 16-byte tag first) that holds a PKCS#8
 * private key. We write N=32768, r=8, p=1 (what 5.23 insists on) and the SIGSTORE type;
 * we read larger powers of two up to a bound, since a cosign test key uses N=65536.
 * scrypt is Node's (native, off the main thread); the secretbox is @noble/ciphers',
 * loaded only when a key file is opened or made.
 */
import { createPrivateKey, createPublicKey, generateKeyPairSync, randomBytes, scrypt, type KeyObject } from 'node:crypto';
import { lstat, rm } from 'node:fs/promises';
import { ImgsealError } from '../errors.js';
import { writeFileAtomic } from '../util/atomic-file.js';
import { parseStrictJson } from '../util/strict-json.js';

export const SIGSTORE_PRIVATE_KEY_PEM = 'ENCRYPTED SIGSTORE PRIVATE KEY';
export const COSIGN_PRIVATE_KEY_PEM = 'ENCRYPTED COSIGN PRIVATE KEY';

const WRITE_N = 32768;
/** 2^18 with r=8 is 256 MiB of scrypt memory: more is a hostile or broken file, not a key. */
const MAX_N = 1 << 18;
const SALT_BYTES = 32;
const NONCE_BYTES = 24;

function invalid(where: string, why: string): ImgsealError {
  return new ImgsealError('INVALID_KEY', `${where}: ${why}`);
}

function deriveKey(passphrase: string, salt: Buffer, n: number, r: number, p: number): Promise<Buffer> {
  return new Promise((resolve, reject) => {
    scrypt(Buffer.from(passphrase, 'utf8'), salt, 32, { N: n, r, p, maxmem: 256 * r * n + (1 << 20) }, (err, key) => (err ? reject(err) : resolve(key)));
  });
}

async function secretbox(key: Buffer, nonce: Buffer): Promise<{ seal(p: Uint8Array): Uint8Array; open(c: Uint8Array): Uint8Array }> {
  const { secretbox: box } = await import('@noble/ciphers/salsa.js');
  return box(new Uint8Array(key), new Uint8Array(nonce));
}

/** The one PEM block of `text` with one of `types`: its type and DER body. */
function pemBlock(text: string, where: string): { type: string; body: Buffer } {
  const m = /-----BEGIN ([A-Z0-9 ]+)-----\r?\n([\s\S]*?)-----END \1-----/.exec(text);
  if (!m) throw invalid(where, 'not a PEM file (expected an ENCRYPTED SIGSTORE PRIVATE KEY block)');
  const type = m[1] as string;
  if (type !== SIGSTORE_PRIVATE_KEY_PEM && type !== COSIGN_PRIVATE_KEY_PEM) {
    throw invalid(where, `a PEM block of type "${type}", not ${SIGSTORE_PRIVATE_KEY_PEM} or ${COSIGN_PRIVATE_KEY_PEM} (a cosign/sigstore key file is needed)`);
  }
  const b64 = (m[2] as string).replace(/\s+/g, '');
  if (!/^[A-Za-z0-9+/]*={0,2}$/.test(b64)) throw invalid(where, 'the PEM body is not base64');
  return { type, body: Buffer.from(b64, 'base64') };
}

function object(v: unknown, keys: string[], what: string, where: string): Record<string, unknown> {
  if (typeof v !== 'object' || v === null || Array.isArray(v)) throw invalid(where, `${what} is not a JSON object`);
  const o = v as Record<string, unknown>;
  for (const k of Object.keys(o)) if (!keys.includes(k)) throw invalid(where, `unknown field "${k}" in ${what}`);
  for (const k of keys) if (!(k in o)) throw invalid(where, `missing field "${k}" in ${what}`);
  return o;
}

function base64Field(v: unknown, bytes: number | undefined, what: string, where: string): Buffer {
  if (typeof v !== 'string' || !/^[A-Za-z0-9+/]*={0,2}$/.test(v)) throw invalid(where, `${what} is not base64`);
  const b = Buffer.from(v, 'base64');
  if (bytes !== undefined && b.length !== bytes) throw invalid(where, `${what} has ${b.length} bytes, not ${bytes}`);
  return b;
}

interface EncryptedKeyDoc {
  n: number;
  r: number;
  p: number;
  salt: Buffer;
  nonce: Buffer;
  ciphertext: Buffer;
}

function parseDoc(body: Buffer, where: string): EncryptedKeyDoc {
  let doc: unknown;
  try {
    doc = parseStrictJson(body.toString('utf8'));
  } catch (err) {
    throw invalid(where, `the encrypted key is not JSON (${(err as Error).message})`);
  }
  const top = object(doc, ['kdf', 'cipher', 'ciphertext'], 'the key document', where);
  const kdf = object(top.kdf, ['name', 'params', 'salt'], 'kdf', where);
  if (kdf.name !== 'scrypt') throw invalid(where, `unsupported kdf ${JSON.stringify(kdf.name)} (only scrypt)`);
  const params = object(kdf.params, ['N', 'r', 'p'], 'kdf.params', where);
  const { N: n, r, p } = params;
  if (typeof n !== 'number' || !Number.isInteger(n) || n < WRITE_N || n > MAX_N || (n & (n - 1)) !== 0 || r !== 8 || p !== 1) {
    throw invalid(where, `unexpected kdf parameters N=${String(n)} r=${String(r)} p=${String(p)} (N must be a power of two from ${WRITE_N} to ${MAX_N}, r=8, p=1)`);
  }
  const cipher = object(top.cipher, ['name', 'nonce'], 'cipher', where);
  if (cipher.name !== 'nacl/secretbox') throw invalid(where, `unsupported cipher ${JSON.stringify(cipher.name)} (only nacl/secretbox)`);
  return {
    n,
    r,
    p,
    salt: base64Field(kdf.salt, undefined, 'kdf.salt', where),
    nonce: base64Field(cipher.nonce, NONCE_BYTES, 'cipher.nonce', where),
    ciphertext: base64Field(top.ciphertext, undefined, 'ciphertext', where),
  };
}

/** The private key in `pem`, decrypted with `passphrase`; `where` names the file in errors (never the passphrase). */
export async function decryptSigstorePrivateKey(pem: string | Buffer, passphrase: string, where: string): Promise<KeyObject> {
  const { body } = pemBlock(typeof pem === 'string' ? pem : pem.toString('utf8'), where);
  const doc = parseDoc(body, where);
  if (doc.ciphertext.length < 16) throw invalid(where, 'the ciphertext is shorter than its authentication tag');
  const key = await deriveKey(passphrase, doc.salt, doc.n, doc.r, doc.p);
  let der: Buffer;
  try {
    der = Buffer.from((await secretbox(key, doc.nonce)).open(new Uint8Array(doc.ciphertext)));
  } catch {
    throw new ImgsealError('KEY_PASSWORD', `${where}: decrypt: incorrect passphrase (or a damaged key file)`);
  } finally {
    key.fill(0);
  }
  try {
    let priv: KeyObject;
    try {
      priv = createPrivateKey({ key: der, format: 'der', type: 'pkcs8' });
    } catch {
      try {
        createPrivateKey({ key: der, format: 'der', type: 'sec1' });
      } catch {
        throw invalid(where, 'the decrypted key is not a PKCS#8 private key');
      }
      throw invalid(where, 'the decrypted key is a SEC1 "EC PRIVATE KEY", which cosign and containers/image refuse; it must be PKCS#8');
    }
    checkKeyType(priv, where);
    return priv;
  } finally {
    der.fill(0);
  }
}

/** The key types sigstore signatures use (spec §4.5). */
function checkKeyType(k: KeyObject, where: string): void {
  const t = k.asymmetricKeyType;
  if (t === 'ec') {
    const curve = k.asymmetricKeyDetails?.namedCurve;
    if (curve !== 'prime256v1' && curve !== 'secp384r1' && curve !== 'secp521r1') throw invalid(where, `unsupported EC curve ${String(curve)} (P-256, P-384 or P-521)`);
    return;
  }
  if (t === 'rsa' || t === 'ed25519') return;
  throw invalid(where, `unsupported key type ${String(t)} (ECDSA, RSA or Ed25519)`);
}

function pem(type: string, body: Buffer): string {
  const b64 = body.toString('base64');
  const lines: string[] = [];
  for (let i = 0; i < b64.length; i += 64) lines.push(b64.slice(i, i + 64));
  return `-----BEGIN ${type}-----\n${lines.join('\n')}\n-----END ${type}-----\n`;
}

/** The key file text for `key`, encrypted with `passphrase` (N=32768, r=8, p=1, SIGSTORE PEM type). */
export async function encryptSigstorePrivateKey(key: KeyObject, passphrase: string): Promise<string> {
  checkKeyType(key, 'the key to write');
  const salt = randomBytes(SALT_BYTES);
  const nonce = randomBytes(NONCE_BYTES);
  const derived = await deriveKey(passphrase, salt, WRITE_N, 8, 1);
  const der = key.export({ format: 'der', type: 'pkcs8' });
  try {
    const ciphertext = Buffer.from((await secretbox(derived, nonce)).seal(new Uint8Array(der)));
    // Member order as go-securesystemslib's json.Marshal of its structs.
    const doc = {
      kdf: { name: 'scrypt', params: { N: WRITE_N, r: 8, p: 1 }, salt: salt.toString('base64') },
      cipher: { name: 'nacl/secretbox', nonce: nonce.toString('base64') },
      ciphertext: ciphertext.toString('base64'),
    };
    return pem(SIGSTORE_PRIVATE_KEY_PEM, Buffer.from(JSON.stringify(doc), 'utf8'));
  } finally {
    derived.fill(0);
    der.fill(0);
  }
}

/** The PEM `PUBLIC KEY` (SubjectPublicKeyInfo) of a private key, as cosign's `.pub` files. */
export function publicKeyPem(key: KeyObject): string {
  return createPublicKey(key).export({ format: 'pem', type: 'spki' }).toString();
}

/**
 * `skopeo generate-sigstore-key`: an ECDSA P-256 pair as PREFIX.private (encrypted,
 * mode 0600) and PREFIX.pub (PEM PUBLIC KEY). Neither file may exist; each is written
 * atomically, and a failure on the second removes the first, so the pair is whole or absent.
 */
export async function generateSigstoreKeyFiles(prefix: string, passphrase: string): Promise<{ privateKeyFile: string; publicKeyFile: string }> {
  const privateKeyFile = `${prefix}.private`;
  const publicKeyFile = `${prefix}.pub`;
  for (const f of [privateKeyFile, publicKeyFile]) {
    if (await exists(f)) throw new ImgsealError('IO_ERROR', `${f} exists already; refusing to overwrite it`);
  }
  const { privateKey } = generateKeyPairSync('ec', { namedCurve: 'P-256' });
  const text = await encryptSigstorePrivateKey(privateKey, passphrase);
  await writeFileAtomic(privateKeyFile, text, { mode: 0o600, exclusive: true });
  try {
    await writeFileAtomic(publicKeyFile, publicKeyPem(privateKey), { mode: 0o644, exclusive: true });
  } catch (err) {
    await rm(privateKeyFile, { force: true });
    throw err;
  }
  return { privateKeyFile, publicKeyFile };
}

async function exists(path: string): Promise<boolean> {
  try {
    await lstat(path);
    return true;
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code === 'ENOENT') return false;
    throw new ImgsealError('IO_ERROR', `checking ${path}: ${(err as NodeJS.ErrnoException).code ?? (err as Error).message}`);
  }
}
