/**
 * Wrapping private options into one JWE for all JWE recipients (spec §5.1),
 * shaped like go-jose's output so every ocicrypt consumer reads it:
 * one recipient → flattened JSON with alg/enc/(epk)/kid in the protected
 * header; several → general JSON, protected header `{"enc":"A256GCM"}`,
 * per-recipient alg/(epk)/kid in `header`. We do not add go-jose's duplicated
 * top-level `encrypted_key` (parsers ignore it; it is not standard JWE).
 *
 * `kid` is the recipient key's RFC 7638 thumbprint (not a JWK's own kid) so that
 * layerinfo shows the same fingerprint `imgseal keygen` printed.
 */
import type { KeyObject } from 'node:crypto';
import { ImgsealError } from '../../../errors.js';
import type { Recipient } from '../types.js';
import { JWE_ENC, jweAlgorithmFor } from './algorithms.js';
import { jweMaterial } from './recipient.js';

interface Prepared {
  publicKey: KeyObject;
  alg: string;
  kid: string;
}

function prepare(r: Recipient): Prepared {
  const m = jweMaterial(r);
  return { publicKey: m.publicKey, alg: jweAlgorithmFor(m.publicKey, m.jwkAlg), kid: m.fingerprint };
}

/** go-jose's member order, so our annotations look like skopeo's. */
export function ordered(jwe: Record<string, unknown>): Record<string, unknown> {
  const order = ['protected', 'unprotected', 'header', 'recipients', 'encrypted_key', 'aad', 'iv', 'ciphertext', 'tag'];
  const out: Record<string, unknown> = {};
  for (const k of order) if (jwe[k] !== undefined) out[k] = jwe[k];
  for (const [k, v] of Object.entries(jwe)) if (!(k in out)) out[k] = v;
  return out;
}

export async function wrapJwe(privateOptions: Uint8Array, recipients: readonly Recipient[]): Promise<Uint8Array> {
  // jose is loaded on first use (commands that never wrap keys start without it), and
  // by subpath: its root loads all 46 of its files (~90 ms), an encrypt half of them.
  const [{ FlattenedEncrypt }, { GeneralEncrypt }] = await Promise.all([import('jose/jwe/flattened/encrypt'), import('jose/jwe/general/encrypt')]);
  if (recipients.length === 0) throw new ImgsealError('INTERNAL', 'JWE wrap called without recipients');
  const prepared = recipients.map(prepare);
  let jwe: Record<string, unknown>;
  try {
    const only = prepared.length === 1 ? prepared[0] : undefined;
    if (only) {
      jwe = { ...(await new FlattenedEncrypt(privateOptions).setProtectedHeader({ alg: only.alg, enc: JWE_ENC, kid: only.kid }).encrypt(only.publicKey)) };
    } else {
      const enc = new GeneralEncrypt(privateOptions).setProtectedHeader({ enc: JWE_ENC });
      for (const p of prepared) enc.addRecipient(p.publicKey).setUnprotectedHeader({ alg: p.alg, kid: p.kid });
      jwe = { ...(await enc.encrypt()) };
    }
  } catch (err) {
    throw new ImgsealError('INVALID_RECIPIENT', `JWE encryption failed: ${(err as Error).message}`, { cause: err });
  }
  return Buffer.from(JSON.stringify(ordered(jwe)), 'utf8');
}
