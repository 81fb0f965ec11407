/**
 * Just enough RFC 4880 packet framing to read an OpenPGP message's recipients
 * synchronously (layerinfo) and to drop recipients without the layer key
 * (`recipients remove`): the message is a run of PKESK packets (tag 1) followed
 * by the encrypted data packet, which is copied through byte for byte.
 */
import { ImgsealError } from '../../../errors.js';

export interface PacketSpan {
  tag: number;
  /** Offsets into the message: header start, body start (first chunk), end. */
  start: number;
  bodyStart: number;
  end: number;
  /** Body bytes when the length was definite (PKESKs always are). */
  body?: Uint8Array;
}

function corrupt(why: string): ImgsealError {
  return new ImgsealError('INVALID_ENCRYPTION_METADATA', `pgp: corrupt OpenPGP message in the key annotation (${why})`);
}

/** New-format body length at `i`: [length, bytes used, partial?]. */
function newLength(b: Uint8Array, i: number): [number, number, boolean] {
  const o = b[i];
  if (o === undefined) throw corrupt('truncated packet header');
  if (o < 192) return [o, 1, false];
  if (o < 224) {
    const o2 = b[i + 1];
    if (o2 === undefined) throw corrupt('truncated packet header');
    return [((o - 192) << 8) + o2 + 192, 2, false];
  }
  if (o === 255) {
    if (i + 5 > b.length) throw corrupt('truncated packet header');
    return [((b[i + 1]! << 24) >>> 0) + (b[i + 2]! << 16) + (b[i + 3]! << 8) + b[i + 4]!, 5, false];
  }
  return [1 << (o & 0x1f), 1, true];
}

/** Splits a binary message into packets (bodies of partial-length packets are not collected). */
export function splitPackets(b: Uint8Array): PacketSpan[] {
  const out: PacketSpan[] = [];
  let i = 0;
  while (i < b.length) {
    const start = i;
    const ctb = b[i]!;
    if ((ctb & 0x80) === 0) throw corrupt('not an OpenPGP packet');
    let tag: number;
    let bodyStart: number;
    let end: number;
    let definite = true;
    if (ctb & 0x40) {
      tag = ctb & 0x3f;
      let [len, used, partial] = newLength(b, i + 1);
      bodyStart = i + 1 + used;
      let pos = bodyStart + len;
      definite = !partial;
      while (partial) {
        if (pos > b.length) throw corrupt('truncated packet');
        [len, used, partial] = newLength(b, pos);
        pos += used + len;
      }
      end = pos;
    } else {
      tag = (ctb >> 2) & 0x0f;
      const lt = ctb & 3;
      if (lt === 3) {
        bodyStart = i + 1;
        end = b.length;
      } else {
        const n = [1, 2, 4][lt]!;
        if (i + 1 + n > b.length) throw corrupt('truncated packet header');
        let len = 0;
        for (let k = 0; k < n; k++) len = len * 256 + b[i + 1 + k]!;
        bodyStart = i + 1 + n;
        end = bodyStart + len;
      }
    }
    if (end > b.length) throw corrupt('truncated packet');
    const span: PacketSpan = { tag, start, bodyStart, end };
    if (definite) span.body = b.subarray(bodyStart, end);
    out.push(span);
    i = end;
  }
  return out;
}

export const TAG_PKESK = 1;
const ENCRYPTED_DATA_TAGS = new Set([9, 18, 20]);

/** PKESK v3 key id (16 lowercase hex digits), or undefined for other versions (v6 names a fingerprint). */
export function pkeskKeyId(span: PacketSpan): string | undefined {
  const body = span.body;
  if (!body || body[0] !== 3 || body.length < 10) return undefined;
  return Buffer.from(body.subarray(1, 9)).toString('hex');
}

/** The message's PKESKs and the encrypted-data packet after them; throws when it is not that shape. */
export function messageLayout(b: Uint8Array): { pkesks: PacketSpan[]; rest: number } {
  const packets = splitPackets(b);
  const pkesks: PacketSpan[] = [];
  let k = 0;
  while (k < packets.length && packets[k]!.tag === TAG_PKESK) pkesks.push(packets[k++]!);
  const data = packets[k];
  if (pkesks.length === 0) throw corrupt('no public-key encrypted session key');
  if (!data || !ENCRYPTED_DATA_TAGS.has(data.tag)) throw corrupt('no encrypted data after the session keys');
  return { pkesks, rest: data.start };
}

/** `0x` + key id without leading zeros, as ctr-enc prints it. */
export function formatKeyId(hex: string): string {
  return `0x${hex.replace(/^0+(?=.)/, '')}`;
}
