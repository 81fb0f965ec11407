/**
 * Removing recipients from one JWE entry (`recipients remove`). A recipient is
 * matched by its `kid` (the key's thumbprint, as we write it, or the JWK's own kid,
 * as skopeo writes it); entries from other tools carry no kid, so a private key
 * given as the target identifies its recipient by decrypting that recipient alone.
 * The content encryption (protected header, iv, ciphertext, tag) is untouched:
 * the others keep unwrapping the same private options.
 */
import { ImgsealError } from '../../../errors.js';
import type { Recipient, RemovalResult } from '../types.js';
import { describeJweRecipients } from './describe.js';
import { jweMaterial, type JweRecipientMaterial } from './recipient.js';
import { parseJweJson, unwrapJweWith } from './unwrap.js';
import { ordered } from './wrap.js';

type Json = Record<string, unknown>;

function obj(v: unknown): Json {
  return typeof v === 'object' && v !== null && !Array.isArray(v) ? (v as Json) : {};
}

function protectedHeader(b64u: unknown): Json {
  if (typeof b64u !== 'string') return {};
  try {
    return obj(JSON.parse(Buffer.from(b64u, 'base64url').toString('utf8')));
  } catch {
    return {};
  }
}

/** The JWE as it would be for recipient `r` alone (flattened), to try a key on. */
function alone(jwe: Json, r: Json): Json {
  const { recipients: _r, header: _h, encrypted_key: _k, ...shared } = jwe;
  return { ...shared, ...(r.header !== undefined ? { header: r.header } : {}), ...(r.encrypted_key !== undefined ? { encrypted_key: r.encrypted_key } : {}) };
}

async function belongsTo(jwe: Json, r: Json, kid: unknown, target: JweRecipientMaterial): Promise<boolean> {
  if (typeof kid === 'string' && (kid === target.fingerprint || (target.jwkKid !== undefined && kid === target.jwkKid))) return true;
  if (!target.privateKey) return false;
  try {
    return (await unwrapJweWith(alone(jwe, r), [target.privateKey])) !== undefined;
  } catch {
    return false; // a malformed recipient is nobody's
  }
}

export async function removeJweRecipients(entry: Uint8Array, targets: readonly Recipient[]): Promise<RemovalResult> {
  const materials = targets.filter((t) => t.scheme === 'jwe').map(jweMaterial);
  const jwe = parseJweJson(entry);
  const shared = { ...protectedHeader(jwe.protected), ...obj(jwe.unprotected) };
  const labels = describeJweRecipients(entry);
  const general = Array.isArray(jwe.recipients);
  const list: Json[] = general ? (jwe.recipients as unknown[]).map(obj) : [{ header: jwe.header, encrypted_key: jwe.encrypted_key }];
  const keep: Json[] = [];
  const removed: string[] = [];
  for (const [i, r] of list.entries()) {
    const kid = { ...shared, ...obj(r.header) }.kid;
    let hit = false;
    for (const m of materials) if (await belongsTo(jwe, r, kid, m)) hit = true;
    if (hit) removed.push(labels[i] ?? '[jwe]');
    else keep.push(r);
  }
  if (removed.length === 0) return { entry, removed, remaining: list.length };
  if (keep.length === 0) return { entry: undefined, removed, remaining: 0 };
  if (!general) throw new ImgsealError('INTERNAL', 'a flattened JWE has one recipient');
  // go-jose's duplicated top-level encrypted_key belongs to recipients[0], which may be
  // gone; parsers ignore it when `recipients` exists, so it is dropped, not kept stale.
  const { encrypted_key: _k, header: _h, ...rest } = jwe;
  return { entry: Buffer.from(JSON.stringify(ordered({ ...rest, recipients: keep })), 'utf8'), removed, remaining: keep.length };
}
