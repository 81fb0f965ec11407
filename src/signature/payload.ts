/**
 * The simple-signing payload (spec §1.2): written as containers/image writes it
 * (compact JSON, keys sorted at every level), read strictly — exactly the listed
 * members in `critical` and below, no duplicate keys, no trailing data, an integral
 * timestamp — and only ever after the signature over it was verified.
 */
import { ImgsealError } from '../errors.js';
import { parseStrictJson } from '../util/strict-json.js';

export const SIMPLE_SIGNING_TYPE = 'atomic container signature';
export const COSIGN_SIGNATURE_TYPE = 'cosign container image signature';
export const CREATOR = 'imgseal 0.1';

export interface SignaturePayload {
  dockerManifestDigest: string;
  dockerReference: string;
  creator?: string;
  timestamp?: number;
}

function sortedJson(v: unknown): string {
  if (Array.isArray(v)) return `[${v.map(sortedJson).join(',')}]`;
  if (v !== null && typeof v === 'object') {
    const o = v as Record<string, unknown>;
    return `{${Object.keys(o)
      .sort()
      .filter((k) => o[k] !== undefined)
      .map((k) => `${JSON.stringify(k)}:${sortedJson(o[k])}`)
      .join(',')}}`;
  }
  return JSON.stringify(v);
}

/** The payload bytes for a manifest digest and identity. */
export function serializePayload(p: SignaturePayload, type = SIMPLE_SIGNING_TYPE): Buffer {
  if (!p.dockerManifestDigest) throw new ImgsealError('SIGNING_FAILED', 'refusing to sign an empty manifest digest');
  if (!p.dockerReference) throw new ImgsealError('SIGNING_FAILED', 'refusing to sign an empty reference');
  const optional: Record<string, unknown> = {};
  if (p.creator !== undefined) optional.creator = p.creator;
  if (p.timestamp !== undefined) optional.timestamp = p.timestamp;
  return Buffer.from(
    sortedJson({
      critical: { identity: { 'docker-reference': p.dockerReference }, image: { 'docker-manifest-digest': p.dockerManifestDigest }, type },
      optional,
    }),
    'utf8',
  );
}

function exactKeys(o: unknown, keys: string[], where: string): Record<string, unknown> {
  if (typeof o !== 'object' || o === null || Array.isArray(o)) throw invalid(`${where} is not a JSON object`);
  const r = o as Record<string, unknown>;
  for (const k of Object.keys(r)) if (!keys.includes(k)) throw invalid(`unknown field "${k}" in ${where}`);
  for (const k of keys) if (!(k in r)) throw invalid(`missing field "${k}" in ${where}`);
  return r;
}

function str(v: unknown, where: string): string {
  if (typeof v !== 'string') throw invalid(`${where} is not a string`);
  return v;
}

function invalid(why: string): ImgsealError {
  return new ImgsealError('SIGNATURE_INVALID', `invalid signature payload: ${why}`);
}

/** Parses verified payload bytes strictly; `type` is the expected critical.type. */
export function parsePayload(bytes: Buffer, type = SIMPLE_SIGNING_TYPE): SignaturePayload {
  let doc: unknown;
  try {
    doc = parseStrictJson(bytes.toString('utf8'));
  } catch (err) {
    throw invalid((err as Error).message);
  }
  const top = exactKeys(doc, ['critical', 'optional'], 'the payload');
  const critical = exactKeys(top.critical, ['identity', 'image', 'type'], 'critical');
  if (critical.type !== type) throw invalid(`critical.type is ${JSON.stringify(critical.type)}, not "${type}"`);
  const image = exactKeys(critical.image, ['docker-manifest-digest'], 'critical.image');
  const identity = exactKeys(critical.identity, ['docker-reference'], 'critical.identity');
  const out: SignaturePayload = {
    dockerManifestDigest: str(image['docker-manifest-digest'], 'critical.image.docker-manifest-digest'),
    dockerReference: str(identity['docker-reference'], 'critical.identity.docker-reference'),
  };
  const optional = top.optional;
  if (optional === null && type === COSIGN_SIGNATURE_TYPE) return out;
  if (typeof optional !== 'object' || optional === null || Array.isArray(optional)) throw invalid('optional is not a JSON object');
  const o = optional as Record<string, unknown>;
  if (o.creator !== undefined) out.creator = str(o.creator, 'optional.creator');
  if (o.timestamp !== undefined) {
    if (typeof o.timestamp !== 'number' || !Number.isInteger(o.timestamp)) throw invalid('optional.timestamp is not an integer');
    out.timestamp = o.timestamp;
  }
  return out;
}
