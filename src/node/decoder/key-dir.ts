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
import { parseDecryptionKeyData } from '../../crypto/keys/private-key.js';
import type { DecryptionKey } from '../../crypto/wrap/types.js';
import { ImgsealError } from '../../errors.js';

export interface KeyDirectory {
  keys: DecryptionKey[];
  /** One line per file that was not used and why (never file content). */
  skipped: string[];
}

const MAX_DEPTH = 8;
const MAX_KEY_FILE = 1 << 20;

export async function readKeyDirectory(dir: string): Promise<KeyDirectory> {
  const out: KeyDirectory = { keys: [], skipped: [] };
  try {
    if (!(await stat(dir)).isDirectory()) throw new ImgsealError('INVALID_ARGUMENT', `--decryption-keys-path ${dir}: not a directory`);
  } catch (err) {
    if (err instanceof ImgsealError) throw err;
    // A missing directory means no keys (as CRI-O), not a broken configuration.
    if ((err as NodeJS.ErrnoException).code === 'ENOENT') return out;
    throw new ImgsealError('IO_ERROR', `--decryption-keys-path ${dir}: ${(err as NodeJS.ErrnoException).code ?? 'unreadable'}`);
  }
  await walk(dir, 0, out);
  return out;
}

async function walk(dir: string, depth: number, out: KeyDirectory): Promise<void> {
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
      if (depth < MAX_DEPTH) await walk(path, depth + 1, out);
      continue;
    }
    if (!st.isFile()) continue;
    if (st.size > MAX_KEY_FILE) {
      out.skipped.push(`${path}: larger than ${MAX_KEY_FILE} bytes, not a key file`);
      continue;
    }
    try {
      out.keys.push(parseDecryptionKeyData(await readFile(path), path, []));
    } catch (err) {
      // Key files in a key directory cannot carry passwords (no channel for one).
      out.skipped.push(err instanceof ImgsealError ? err.message : `${path}: unreadable`);
    }
  }
}

/** Keys ctr-enc style clients put in the payload (`privkeys` with `privkeys-passwords`). */
export function payloadKeys(parameters: Map<string, Buffer[]>, skipped: string[]): DecryptionKey[] {
  const keys: DecryptionKey[] = [];
  const privs = parameters.get('privkeys') ?? [];
  const passwords = parameters.get('privkeys-passwords') ?? [];
  privs.forEach((data, i) => {
    const pw = passwords[i];
    try {
      keys.push(parseDecryptionKeyData(data, `payload private key #${i + 1}`, pw && pw.length > 0 ? [pw] : []));
    } catch (err) {
      skipped.push(err instanceof ImgsealError ? err.message : `payload private key #${i + 1}: unusable`);
    }
  });
  const gpg = parameters.get('gpg-privatekeys') ?? [];
  gpg.forEach((data, i) => {
    try {
      keys.push(parseDecryptionKeyData(data, `payload OpenPGP key #${i + 1}`, []));
    } catch (err) {
      skipped.push(err instanceof ImgsealError ? err.message : `payload OpenPGP key #${i + 1}: unusable`);
    }
  });
  for (const x of parameters.get('x509s') ?? []) {
    try {
      keys.push(parseDecryptionKeyData(x, 'payload certificate', []));
    } catch {
      skipped.push('payload certificate: unusable');
    }
  }
  return keys;
}
