/**
 * The node's key directory, read the way the decoder needs it: every file that holds
 * a key imgseal can decrypt with (spec §6.2), recursively. Unlike ctd-decoder and
 * CRI-O, one stray or unusable file does not fail every pull: it is skipped and named
 * in the error if no key opens the layer. Symbolic links are followed, and entries
 * whose name starts with "." are skipped: kubelet's `..data` / `..<timestamp>`
 * folders (so a mounted Secret volume works and each key is read once) and the
 * temporary files `imgseal keysync` renames into place.
 */
import { readdir, readFile, stat } from 'node:fs/promises';
import { join } from 'node:path';
import { loadKeyData } from '../../crypto/keys/decryption-key.js';
import { defaultSchemeContext } from '../../crypto/wrap/config.js';
import type { DecryptionKey, SchemeContext } from '../../crypto/wrap/types.js';
import { ImgsealError } from '../../errors.js';

export interface KeyDirectory {
  keys: DecryptionKey[];
  /** One line per file that was not used and why (never file content). */
  skipped: string[];
}

const MAX_DEPTH = 8;
const MAX_KEY_FILE = 1 << 20;

/** ctx: the key-wrap configuration (a pkcs11 key file is only usable with OCICRYPT_CONFIG's module policy). */
export async function readKeyDirectory(dir: string, ctx: SchemeContext = defaultSchemeContext()): Promise<KeyDirectory> {
  const out: KeyDirectory = { keys: [], skipped: [] };
  try {
    if (!(await stat(dir)).isDirectory()) throw new ImgsealError('INVALID_ARGUMENT', `--decryption-keys-path ${dir}: not a directory`);
  } catch (err) {
    if (err instanceof ImgsealError) throw err;
    // A missing directory means no keys (as CRI-O), not a broken configuration.
    if ((err as NodeJS.ErrnoException).code === 'ENOENT') return out;
    throw new ImgsealError('IO_ERROR', `--decryption-keys-path ${dir}: ${(err as NodeJS.ErrnoException).code ?? 'unreadable'}`);
  }
  await walk(dir, 0, out, ctx);
  return out;
}

async function walk(dir: string, depth: number, out: KeyDirectory, ctx: SchemeContext): Promise<void> {
  let names: string[];
  try {
    names = (await readdir(dir)).sort();
  } catch (err) {
    out.skipped.push(`${dir}: cannot list (${(err as NodeJS.ErrnoException).code ?? 'error'})`);
    return;
  }
  for (const name of names) {
    if (name.startsWith('.')) continue;
    const path = join(dir, name);
    let st;
    try {
      st = await stat(path);
    } catch (err) {
      out.skipped.push(`${path}: ${(err as NodeJS.ErrnoException).code ?? 'unreadable'}`);
      continue;
    }
    if (st.isDirectory()) {
      if (depth < MAX_DEPTH) await walk(path, depth + 1, out, ctx);
      continue;
    }
    if (!st.isFile()) continue;
    if (st.size > MAX_KEY_FILE) {
      out.skipped.push(`${path}: larger than ${MAX_KEY_FILE} bytes, not a key file`);
      continue;
    }
    try {
      // Every format imgseal reads: the schemes claim theirs (OpenPGP keyrings, PKCS#11 key files).
      out.keys.push(await loadKeyData({ path, data: await readFile(path), passwords: [] }, ctx));
    } catch (err) {
      // Key files in a key directory cannot carry passwords (no channel for one).
      out.skipped.push(err instanceof ImgsealError ? err.message : `${path}: unreadable`);
    }
  }
}

/** Keys ctr-enc style clients put in the payload (`privkeys` with `privkeys-passwords`). */
export async function payloadKeys(parameters: Map<string, Buffer[]>, skipped: string[], ctx: SchemeContext): Promise<DecryptionKey[]> {
  const keys: DecryptionKey[] = [];
  const privs = parameters.get('privkeys') ?? [];
  const passwords = parameters.get('privkeys-passwords') ?? [];
  const gpg = parameters.get('gpg-privatekeys') ?? [];
  const gpgPasswords = parameters.get('gpg-privatekeys-passwords') ?? [];
  const entries: [Buffer, string, Buffer | undefined][] = [
    ...privs.map((d, i): [Buffer, string, Buffer | undefined] => [d, `payload private key #${i + 1}`, passwords[i]]),
    ...gpg.map((d, i): [Buffer, string, Buffer | undefined] => [d, `payload OpenPGP key #${i + 1}`, gpgPasswords[i]]),
    ...(parameters.get('x509s') ?? []).map((d, i): [Buffer, string, Buffer | undefined] => [d, `payload certificate #${i + 1}`, undefined]),
  ];
  for (const [data, path, pw] of entries) {
    try {
      keys.push(await loadKeyData({ path, data, passwords: pw && pw.length > 0 ? [pw] : [] }, ctx));
    } catch (err) {
      skipped.push(err instanceof ImgsealError ? err.message : `${path}: unusable`);
    }
  }
  return keys;
}
