/**
 * `--decryption-key FILE[:PASSWORD]` → a loaded DecryptionKey (spec §6.2).
 *
 * Who reads it: first each scheme's loadKeySpec (specs that are no file, such as
 * `provider:NAME`), then, with the file read, each scheme's loadKeyFile in registry
 * order; a file no scheme claims is one of the shared formats (private-key.ts).
 *
 * Splitting: a spec that names an existing file is that file, without a
 * password (so paths containing ':' work). Otherwise the split is at the last
 * colon whose left side is an existing file (so passwords may contain ':'),
 * falling back to the last colon. ocicrypt splits on every colon and silently
 * drops the password when there are more than two parts.
 */
import { readSync } from 'node:fs';
import { stat } from 'node:fs/promises';
import { ImgsealError } from '../../errors.js';
import { defaultSchemes, type SchemeRegistry } from '../wrap/registry.js';
import { defaultSchemeContext } from '../wrap/config.js';
import type { DecryptionKey, KeyFile, SchemeContext } from '../wrap/types.js';
import { registerSecret } from '../../util/redact.js';
import { readKeyFile } from './files.js';
import { parseDecryptionKeyData, type PasswordCandidates } from './private-key.js';

export async function loadDecryptionKey(spec: string, ctx: SchemeContext = defaultSchemeContext(), schemes: SchemeRegistry = defaultSchemes): Promise<DecryptionKey> {
  for (const s of schemes.all) {
    const claimed = await s.loadKeySpec?.(spec, ctx);
    if (claimed) return claimed;
  }
  const { path, passwordSpec } = await splitKeySpec(spec);
  const data = await readKeyFile(path, 'INVALID_KEY');
  const passwords = passwordSpec === undefined ? [] : await readPassword(passwordSpec, path);
  for (const pw of passwords) registerSecret(pw.toString('utf8'));
  return loadKeyData({ path, data, passwords }, ctx, schemes);
}

/** Key material already read (a key directory, a decoder payload): the schemes' claims, then the shared formats. */
export async function loadKeyData(file: KeyFile, ctx: SchemeContext = defaultSchemeContext(), schemes: SchemeRegistry = defaultSchemes): Promise<DecryptionKey> {
  for (const s of schemes.all) {
    const claimed = await s.loadKeyFile?.(file, ctx);
    if (claimed) return claimed;
  }
  return parseDecryptionKeyData(file.data, file.path, file.passwords);
}

async function isFile(p: string): Promise<boolean> {
  try {
    return (await stat(p)).isFile();
  } catch {
    return false;
  }
}

export async function splitKeySpec(spec: string): Promise<{ path: string; passwordSpec: string | undefined }> {
  if (!spec.includes(':') || (await isFile(spec))) return { path: spec, passwordSpec: undefined };
  const colons: number[] = [];
  for (let i = spec.indexOf(':'); i >= 0; i = spec.indexOf(':', i + 1)) colons.push(i);
  for (const i of colons.reverse()) {
    if (await isFile(spec.slice(0, i))) return { path: spec.slice(0, i), passwordSpec: spec.slice(i + 1) };
  }
  // No prefix exists: report the part before the first colon, so that no
  // piece of a password can end up in the "Unable to read file" message.
  const first = spec.indexOf(':');
  return { path: spec.slice(0, first), passwordSpec: spec.slice(first + 1) };
}

/**
 * `pass=<pw>`, `file=<path>` (whole content), `fd=<n>` (at most 64 bytes) or
 * the literal password. A password file's content is tried as-is first (what
 * ocicrypt does) and then without its trailing newline (what users mean).
 */
export async function readPassword(pwSpec: string, keyPath: string): Promise<PasswordCandidates> {
  if (pwSpec.startsWith('pass=')) return [Buffer.from(pwSpec.slice(5), 'utf8')];
  if (pwSpec.startsWith('file=')) {
    const content = await readKeyFile(pwSpec.slice(5), 'KEY_PASSWORD');
    return withTrimmed(content);
  }
  if (pwSpec.startsWith('fd=')) {
    const fd = Number(pwSpec.slice(3));
    if (!Number.isInteger(fd) || fd < 0) {
      throw new ImgsealError('KEY_PASSWORD', `${keyPath}: invalid password file descriptor ${JSON.stringify(pwSpec.slice(3))}`);
    }
    return withTrimmed(readFd(fd, keyPath));
  }
  return [Buffer.from(pwSpec, 'utf8')];
}

function withTrimmed(content: Buffer): Buffer[] {
  const text = content.toString('latin1');
  const trimmed = text.replace(/\r?\n$/, '');
  return trimmed.length === text.length ? [content] : [content, content.subarray(0, trimmed.length)];
}

function readFd(fd: number, keyPath: string): Buffer {
  const buf = Buffer.alloc(64);
  let n = 0;
  try {
    // Reading the descriptor in place (no reopen): it may be a pipe shared
    // with the parent process, from which we must not consume more than 64 bytes.
    for (;;) {
      let r: number;
      try {
        r = readSync(fd, buf, n, buf.length - n, null);
      } catch (err) {
        if ((err as NodeJS.ErrnoException).code === 'EAGAIN') {
          Atomics.wait(new Int32Array(new SharedArrayBuffer(4)), 0, 0, 10);
          continue;
        }
        throw err;
      }
      if (r === 0) break;
      n += r;
      if (n === buf.length) break;
    }
  } catch (err) {
    throw new ImgsealError('KEY_PASSWORD', `${keyPath}: could not read password from file descriptor ${fd}: ${(err as NodeJS.ErrnoException).code ?? 'read error'}`, { cause: err });
  }
  return buf.subarray(0, n);
}

