/**
 * Recipient strings for layerinfo, one per JWE recipient:
 *   `jwe:<kid>`      when the recipient carries a kid (ours: the JWK thumbprint
 *                    of the recipient key, as printed by `imgseal keygen`);
 *   `[jwe <alg>]`    otherwise, e.g. `[jwe RSA-OAEP]` for skopeo's output;
 *   `[jwe]`          when not even the alg can be read.
 * ctr-enc prints a single `[jwe]` per layer; listing each recipient is more
 * useful and stays recognisable.
 */
import { parseJweJson } from './unwrap.js';

// Values come from the image, i.e. from anyone: only plain tokens are shown,
// so an annotation cannot smuggle control sequences into a terminal.
const TOKEN = /^[A-Za-z0-9._~+/=:-]{1,128}$/;

function header(v: unknown): Record<string, unknown> {
  return typeof v === 'object' && v !== null && !Array.isArray(v) ? (v as Record<string, unknown>) : {};
}

function protectedHeader(b64u: unknown): Record<string, unknown> {
  if (typeof b64u !== 'string') return {};
  try {
    return header(JSON.parse(Buffer.from(b64u, 'base64url').toString('utf8')));
  } catch {
    return {};
  }
}

function label(h: Record<string, unknown>): string {
  if (typeof h.kid === 'string' && TOKEN.test(h.kid)) return `jwe:${h.kid}`;
  if (typeof h.alg === 'string' && TOKEN.test(h.alg)) return `[jwe ${h.alg}]`;
  return '[jwe]';
}

export function describeJweRecipients(entry: Uint8Array): string[] {
  let jwe: Record<string, unknown>;
  try {
    jwe = parseJweJson(entry);
  } catch {
    return ['[jwe]'];
  }
  const shared = { ...protectedHeader(jwe.protected), ...header(jwe.unprotected) };
  if (Array.isArray(jwe.recipients)) {
    return jwe.recipients.length === 0 ? ['[jwe]'] : jwe.recipients.map((r) => label({ ...shared, ...header(header(r).header) }));
  }
  return [label({ ...shared, ...header(jwe.header) })];
}
