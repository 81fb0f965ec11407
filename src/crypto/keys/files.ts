/**
 * Reading key files and looking at what is in them, shared by the recipient
 * and the decryption-key loaders. Nothing here ever puts file content into a
 * message.
 */
import { BoundedReadError, describeFailure, readBoundedFile } from '../../util/bounded-file.js';
import { KEY_FILE_SIZE_LIMIT } from '../../util/limits.js';
import { ImgsealError, type ErrorCode } from '../../errors.js';

/**
 * A key or password file: a regular file of at most KEY_FILE_SIZE_LIMIT bytes (a FIFO
 * or /dev/zero is refused at once, not read until memory runs out).
 */
export async function readKeyFile(path: string, code: ErrorCode): Promise<Buffer> {
  try {
    return await readBoundedFile(path, KEY_FILE_SIZE_LIMIT);
  } catch (err) {
    const why = err instanceof BoundedReadError ? describeFailure(err.failure) : 'read error';
    throw new ImgsealError(code, `Unable to read file: ${path}: ${why}`, { cause: err });
  }
}

export interface PemBlock {
  label: string;
  /** Encapsulation headers such as Proc-Type and DEK-Info. */
  headers: Record<string, string>;
  /** The whole block, BEGIN to END line, as Node's createPrivateKey wants it. */
  text: string;
}

const PEM_BLOCK = /-----BEGIN ([A-Z0-9 ]+)-----\r?\n([\s\S]*?)-----END \1-----/g;

/** PEM blocks in file order; empty when the data is not PEM (e.g. DER or JSON). */
export function pemBlocks(data: Buffer): PemBlock[] {
  // Only look for PEM in data that is text; DER could contain anything.
  const text = data.toString('latin1');
  if (!text.includes('-----BEGIN ')) return [];
  const out: PemBlock[] = [];
  for (const m of text.matchAll(PEM_BLOCK)) {
    const label = m[1] as string;
    const body = m[2] as string;
    const headers: Record<string, string> = {};
    const headerEnd = body.search(/\r?\n\r?\n/);
    if (headerEnd >= 0 && /^[A-Za-z-]+:/.test(body)) {
      for (const line of body.slice(0, headerEnd).split(/\r?\n/)) {
        const i = line.indexOf(':');
        if (i > 0) headers[line.slice(0, i).trim()] = line.slice(i + 1).trim();
      }
    }
    out.push({ label, headers, text: m[0] });
  }
  return out;
}

/** Parses JSON text that is an object, else undefined (so DER/PEM fall through). */
export function jsonObject(data: Buffer): Record<string, unknown> | undefined {
  const text = data.toString('utf8').trim();
  if (!text.startsWith('{')) return undefined;
  try {
    const v: unknown = JSON.parse(text);
    return typeof v === 'object' && v !== null && !Array.isArray(v) ? (v as Record<string, unknown>) : undefined;
  } catch {
    return undefined;
  }
}

/** OpenPGP packet tag of the first packet (RFC 4880 §4.2), or undefined when not OpenPGP-shaped. */
export function openpgpFirstTag(data: Buffer): number | undefined {
  const b = data[0];
  if (b === undefined || (b & 0x80) === 0) return undefined;
  return (b & 0x40) !== 0 ? b & 0x3f : (b >> 2) & 0x0f;
}

/** A PKCS#11 key file as ocicrypt writes it: YAML with a top-level `pkcs11:` map. */
export function looksLikePkcs11Yaml(data: Buffer): boolean {
  return /^pkcs11:\s*$/m.test(data.toString('utf8')) && /^\s+uri:\s*pkcs11:/m.test(data.toString('utf8'));
}
