/**
 * The container format of a stored signature (spec §2.5; lookaside, dir:): a blob
 * that starts with an OpenPGP packet byte is a simple signature as is; otherwise
 * `0x00 FORMAT-NAME \n BODY`, with `simple-signing` (body = the OpenPGP blob) or
 * `sigstore-json` (body = {"mimeType","payload" base64,"annotations"}). Writers emit
 * simple signatures without the prefix and sigstore signatures with it, as
 * containers/image does.
 */
import { ImgsealError } from '../errors.js';
import type { UntrustedSignature } from '../transports/types.js';

/** First bytes of a compressed-data, one-pass-signature or signature packet (old and new headers). */
export function startsWithOpenPgpPacket(b: Buffer): boolean {
  const c = b[0];
  if (c === undefined) return false;
  return (c >= 0xa0 && c <= 0xa3) || c === 0xc8 || (c >= 0x90 && c <= 0x92) || c === 0xc4 || (c >= 0x88 && c <= 0x8b) || c === 0xc2;
}

/** Parses a stored blob; `where` names it in the error for a format we do not know. */
export function parseStoredSignature(blob: Buffer, where: string): UntrustedSignature {
  if (startsWithOpenPgpPacket(blob)) return { kind: 'simple-signing', untrustedBlob: blob };
  if (blob[0] !== 0x00) throw new ImgsealError('SIGNATURE_INVALID', `${where}: not a signature in a known format`);
  const nl = blob.indexOf(0x0a);
  if (nl < 0) throw new ImgsealError('SIGNATURE_INVALID', `${where}: a signature format name without an end`);
  const format = blob.subarray(1, nl).toString('latin1');
  const body = blob.subarray(nl + 1);
  if (format === 'simple-signing') return { kind: 'simple-signing', untrustedBlob: body };
  if (format === 'sigstore-json') {
    let doc: unknown;
    try {
      doc = JSON.parse(body.toString('utf8'));
    } catch {
      throw new ImgsealError('SIGNATURE_INVALID', `${where}: the sigstore-json signature is not JSON`);
    }
    const o = doc as { mimeType?: unknown; payload?: unknown; annotations?: unknown };
    if (typeof o !== 'object' || o === null || typeof o.mimeType !== 'string' || typeof o.payload !== 'string') {
      throw new ImgsealError('SIGNATURE_INVALID', `${where}: the sigstore-json signature lacks mimeType or payload`);
    }
    const annotations: Record<string, string> = {};
    if (o.annotations !== undefined && o.annotations !== null) {
      if (typeof o.annotations !== 'object') throw new ImgsealError('SIGNATURE_INVALID', `${where}: the sigstore-json annotations are not an object`);
      for (const [k, v] of Object.entries(o.annotations)) {
        if (typeof v !== 'string') throw new ImgsealError('SIGNATURE_INVALID', `${where}: annotation ${k} is not a string`);
        annotations[k] = v;
      }
    }
    return { kind: 'sigstore', mimeType: o.mimeType, untrustedPayload: Buffer.from(o.payload, 'base64'), untrustedAnnotations: annotations };
  }
  throw new ImgsealError('SIGNATURE_INVALID', `${where}: unknown signature format "${format.slice(0, 40)}"`);
}

/** The bytes to store for a signature. */
export function serializeStoredSignature(sig: UntrustedSignature): Buffer {
  if (sig.kind === 'simple-signing') return sig.untrustedBlob;
  // Key order as containers/image's json.Marshal of its struct: mimeType, payload, annotations.
  const json = JSON.stringify({ mimeType: sig.mimeType, payload: sig.untrustedPayload.toString('base64'), annotations: sig.untrustedAnnotations });
  return Buffer.concat([Buffer.from('\x00sigstore-json\n', 'latin1'), Buffer.from(json, 'utf8')]);
}
