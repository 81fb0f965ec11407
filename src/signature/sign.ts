/**
 * Making simple signatures: through the `gpg` program with the user's GnuPG home
 * (GNUPGHOME or ~/.gnupg), as podman and skopeo do through gpgme (`--sign-by FPR`),
 * or with an OpenPGP secret key file. The passphrase comes from a file (first line,
 * never printed or put in an argument list: gpg reads it from a pipe).
 */
import { spawn } from 'node:child_process';
import { readFile } from 'node:fs/promises';
import type * as openpgp from 'openpgp';
import { ImgsealError } from '../errors.js';
import type { ManifestBlob, UntrustedSignature } from '../transports/types.js';
import type { ManifestSigner } from '../copy/options.js';
import { openpgpLib } from '../util/openpgp-lib.js';
import { CREATOR, serializePayload } from './payload.js';

export interface GpgSignerOptions {
  /** Fingerprint, key ID or user ID gpg resolves (`--local-user`). */
  keyIdentity: string;
  passphrase?: string;
  /** Environment for gpg (GNUPGHOME, HOME, PATH). */
  env?: Record<string, string | undefined>;
  /** Seconds since the epoch for the payload timestamp. */
  now?: () => number;
  gpgProgram?: string;
}

/** Reads a passphrase file: its first line, without the newline. */
export async function readPassphraseFile(path: string): Promise<string> {
  let text: string;
  try {
    text = await readFile(path, 'utf8');
  } catch (err) {
    throw new ImgsealError('INVALID_ARGUMENT', `reading passphrase file ${path}: ${(err as NodeJS.ErrnoException).code ?? (err as Error).message}`);
  }
  return text.split(/\r?\n/)[0] ?? '';
}

function timestamp(now?: () => number): number {
  return Math.floor((now ? now() : Date.now()) / 1000);
}

/** Runs gpg with `input` on stdin; the passphrase goes through fd 3. */
function runGpg(o: GpgSignerOptions, args: string[], input: Buffer): Promise<Buffer> {
  return new Promise((resolve, reject) => {
    const pass = o.passphrase !== undefined;
    const full = ['--batch', '--no-tty', '--pinentry-mode', 'loopback', ...(pass ? ['--passphrase-fd', '3'] : []), ...args];
    const child = spawn(o.gpgProgram ?? 'gpg', full, {
      env: (o.env ?? process.env) as NodeJS.ProcessEnv,
      stdio: pass ? ['pipe', 'pipe', 'pipe', 'pipe'] : ['pipe', 'pipe', 'pipe'],
    });
    const out: Buffer[] = [];
    let err = '';
    child.stdout?.on('data', (d: Buffer) => out.push(d));
    child.stderr?.setEncoding('utf8').on('data', (d: string) => {
      if (err.length < 4096) err += d;
    });
    child.on('error', (e) => reject(new ImgsealError('SIGNING_FAILED', `running gpg: ${(e as NodeJS.ErrnoException).code === 'ENOENT' ? 'gpg not found in PATH' : e.message}`)));
    child.on('close', (code) => {
      if (code === 0) resolve(Buffer.concat(out));
      else {
        const line = err.split('\n').filter((l) => l.trim() && !/^gpg: (WARNING|using)/.test(l))[0] ?? `exit ${code}`;
        reject(new ImgsealError('SIGNING_FAILED', `signing with key ${o.keyIdentity} through gpg failed: ${line.replace(/^gpg: /, '')}`));
      }
    });
    if (pass) {
      const fd3 = child.stdio[3] as NodeJS.WritableStream;
      fd3.on('error', () => undefined);
      fd3.end(`${o.passphrase}\n`);
    }
    child.stdin?.on('error', () => undefined);
    child.stdin?.end(input);
  });
}

/** Signs `payload` bytes through gpg: a binary signed message, as gpgme produces. */
export function gpgSign(o: GpgSignerOptions, payload: Buffer): Promise<Buffer> {
  return runGpg(o, ['--local-user', o.keyIdentity, '--sign'], payload);
}

export function gpgManifestSigner(o: GpgSignerOptions): ManifestSigner {
  return {
    description: `simple signing with key ${o.keyIdentity}`,
    kind: 'simple-signing',
    async sign(manifest: ManifestBlob, dockerReference: string): Promise<UntrustedSignature> {
      const payload = serializePayload({ dockerManifestDigest: manifest.digest, dockerReference, creator: CREATOR, timestamp: timestamp(o.now) });
      return { kind: 'simple-signing', untrustedBlob: await gpgSign(o, payload) };
    },
  };
}

/** Reads an OpenPGP secret key file (armored or binary), decrypted with `passphrase` when protected. */
export async function readSigningKey(bytes: Buffer, where: string, passphrase?: string): Promise<openpgp.PrivateKey> {
  let key: openpgp.PrivateKey;
  try {
    const text = bytes.toString('latin1');
    key = text.includes('-----BEGIN PGP PRIVATE KEY BLOCK-----')
      ? await (await openpgpLib()).readPrivateKey({ armoredKey: bytes.toString('utf8') })
      : await (await openpgpLib()).readPrivateKey({ binaryKey: new Uint8Array(bytes) });
  } catch (err) {
    throw new ImgsealError('INVALID_KEY', `${where}: not an OpenPGP secret key (${(err as Error).message})`);
  }
  if (key.isDecrypted()) return key;
  if (passphrase === undefined) throw new ImgsealError('KEY_PASSWORD', `${where}: the key is protected; give --sign-passphrase-file`);
  try {
    return await (await openpgpLib()).decryptKey({ privateKey: key, passphrase });
  } catch {
    throw new ImgsealError('KEY_PASSWORD', `${where}: wrong passphrase for the signing key`);
  }
}

/** Signs `payload` with an OpenPGP key: a binary signed message (literal data, format b). */
export async function openpgpSign(key: openpgp.PrivateKey, payload: Buffer, date?: Date): Promise<Buffer> {
  const lib = await openpgpLib();
  const message = await lib.createMessage({ binary: new Uint8Array(payload), format: 'binary' });
  const signed = await lib.sign({ message, signingKeys: key, format: 'binary', ...(date ? { date } : {}) });
  return Buffer.from(signed as Uint8Array);
}

export function keyFileManifestSigner(key: openpgp.PrivateKey, now?: () => number): ManifestSigner {
  return {
    description: `simple signing with key ${key.getFingerprint().toUpperCase()}`,
    kind: 'simple-signing',
    async sign(manifest: ManifestBlob, dockerReference: string): Promise<UntrustedSignature> {
      const payload = serializePayload({ dockerManifestDigest: manifest.digest, dockerReference, creator: CREATOR, timestamp: timestamp(now) });
      return { kind: 'simple-signing', untrustedBlob: await openpgpSign(key, payload, now ? new Date(now()) : undefined) };
    },
  };
}
