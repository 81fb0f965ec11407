/** Strings near the grammar of what they stand for: digests, media types, base64, names. */
import fc from 'fast-check';
import { MediaType } from '../../../src/model/media-types.js';

const hex = (n: number): fc.Arbitrary<string> => fc.string({ unit: fc.constantFrom(...'0123456789abcdef'), minLength: n, maxLength: n });

/** A string edited a little: a character inserted, dropped or replaced, case flipped, or cut. */
export function edited(base: fc.Arbitrary<string>): fc.Arbitrary<string> {
  const piece = fc.oneof(fc.string({ unit: 'binary', minLength: 1, maxLength: 3 }), fc.constantFrom(':', '/', '@', '.', '-', '_', '+', '[', ']', '\n', '\u0000', ' ', '%', '\\', '"', '=', ','));
  return fc.tuple(base, fc.nat(), piece, fc.constantFrom('insert', 'drop', 'replace', 'upper', 'cut', 'same')).map(([s, at, p, how]) => {
    const i = s.length === 0 ? 0 : at % (s.length + 1);
    switch (how) {
      case 'insert':
        return s.slice(0, i) + p + s.slice(i);
      case 'drop':
        return s.slice(0, i) + s.slice(i + 1);
      case 'replace':
        return s.slice(0, i) + p + s.slice(i + p.length);
      case 'upper':
        return s.toUpperCase();
      case 'cut':
        return s.slice(0, i);
      default:
        return s;
    }
  });
}

export const validDigest: fc.Arbitrary<string> = fc.oneof({ weight: 4, arbitrary: hex(64).map((h) => `sha256:${h}`) }, { weight: 1, arbitrary: hex(128).map((h) => `sha512:${h}`) });

export const digestLike: fc.Arbitrary<string> = fc.oneof(
  { weight: 3, arbitrary: validDigest },
  { weight: 4, arbitrary: edited(validDigest) },
  { weight: 2, arbitrary: fc.tuple(fc.constantFrom('sha256', 'sha512', 'sha384', 'SHA256', 'md5', '', 'sha256+b64u', 'blake3'), fc.integer({ min: 0, max: 200 })).map(([a, n]) => `${a}:${'a'.repeat(n)}`) },
  { weight: 1, arbitrary: fc.string({ unit: 'binary', maxLength: 80 }) },
);

const MEDIA_TYPES: string[] = [...Object.values(MediaType), `${MediaType.ociLayerTarGzip}+encrypted`, `${MediaType.ociLayerTar}+encrypted`, 'application/vnd.wasm.content.layer.v1+wasm', 'application/octet-stream'];

export const mediaTypeLike: fc.Arbitrary<string> = fc.oneof({ weight: 4, arbitrary: fc.constantFrom(...MEDIA_TYPES) }, { weight: 2, arbitrary: edited(fc.constantFrom(...MEDIA_TYPES)) }, { weight: 1, arbitrary: fc.string({ maxLength: 30 }) });

/** Std base64 of random bytes, or text that almost is. */
export const base64Like: fc.Arbitrary<string> = fc.oneof(
  { weight: 3, arbitrary: fc.uint8Array({ maxLength: 96 }).map((b) => Buffer.from(b).toString('base64')) },
  { weight: 2, arbitrary: edited(fc.uint8Array({ maxLength: 48 }).map((b) => Buffer.from(b).toString('base64'))) },
  { weight: 1, arbitrary: fc.uint8Array({ maxLength: 48 }).map((b) => Buffer.from(b).toString('base64url')) },
  { weight: 1, arbitrary: fc.string({ maxLength: 40 }) },
);

/** Std base64 of a text (JSON, user:password), maybe edited. */
export function base64Of(text: fc.Arbitrary<string>): fc.Arbitrary<string> {
  const b64 = text.map((t) => Buffer.from(t, 'utf8').toString('base64'));
  return fc.oneof({ weight: 3, arbitrary: b64 }, { weight: 1, arbitrary: edited(b64) });
}
