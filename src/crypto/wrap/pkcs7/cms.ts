/**
 * The CMS EnvelopedData that ocicrypt's PKCS#7 scheme writes (spec §5.2), built
 * and parsed with @peculiar/asn1-cms. Go's pkcs7 package (go.mozilla.org/pkcs7,
 * which skopeo 1.9.3 uses, and its smallstep fork) writes a non-standard shape
 * that we reproduce byte for byte and read leniently:
 *
 * - the AES-GCM parameters element carries tag byte 0x10 (SEQUENCE, but
 *   primitive) and its content is a whole `SEQUENCE { [4] nonce, INTEGER 16 }`
 *   (the nonce tagged [4] instead of OCTET STRING). Go parses the *content* of
 *   the parameters element, so an RFC 5084 encoding would not decode there;
 * - keyEncryptionAlgorithm rsaEncryption has no NULL parameters;
 * - encryptedContent is `[0]` constructed around one OCTET STRING (older Go),
 *   or `[0]` primitive (smallstep ≥ 0.1); both are read.
 */
import { AsnConvert, AsnProp, AsnPropTypes, OctetString } from '@peculiar/asn1-schema';
import {
  ContentEncryptionAlgorithmIdentifier,
  ContentInfo,
  EncryptedContent,
  EncryptedContentInfo,
  EnvelopedData,
  IssuerAndSerialNumber,
  KeyEncryptionAlgorithmIdentifier,
  KeyTransRecipientInfo,
  RecipientIdentifier,
  RecipientInfo,
  RecipientInfos,
} from '@peculiar/asn1-cms';
import { Name } from '@peculiar/asn1-x509';
import { ImgsealError } from '../../../errors.js';

export const OID_ENVELOPED_DATA = '1.2.840.113549.1.7.3';
export const OID_DATA = '1.2.840.113549.1.7.1';
export const OID_RSA_ENCRYPTION = '1.2.840.113549.1.1.1';
export const OID_RSAES_OAEP = '1.2.840.113549.1.1.7';
export const OID_AES128_GCM = '2.16.840.1.101.3.4.1.6';
export const OID_AES256_GCM = '2.16.840.1.101.3.4.1.46';

/** Content ciphers we read (AES-GCM, as Go's pkcs7 can write) → key length in bytes. */
export const GCM_KEY_LENGTHS: ReadonlyMap<string, number> = new Map([
  [OID_AES128_GCM, 16],
  [OID_AES256_GCM, 32],
]);

export interface CmsRecipient {
  /** DER of the issuer Name, exactly as in the certificate. */
  issuer: Uint8Array;
  /** The serial number's INTEGER content bytes (two's complement, as encoded). */
  serial: Uint8Array;
  keyEncryptionAlgorithm: string;
  encryptedKey: Uint8Array;
}

export interface CmsEnvelope {
  recipients: CmsRecipient[];
  contentEncryptionAlgorithm: string;
  nonce: Uint8Array;
  /** GCM tag length in bytes (ICVlen), 12..16. */
  tagLength: number;
  /** Ciphertext followed by the GCM tag. */
  encryptedContent: Uint8Array;
}

/** A copy of exactly these bytes (a Uint8Array may be a view into a larger, pooled buffer). */
function arrayBuffer(u: Uint8Array): ArrayBuffer {
  return Uint8Array.from(u).buffer;
}

function malformed(what: string, cause?: unknown): ImgsealError {
  return new ImgsealError('INVALID_ENCRYPTION_METADATA', `invalid PKCS#7 annotation entry: ${what}`, { cause });
}

/** Go's GCM parameters: `SEQUENCE { nonce [4] IMPLICIT OCTET STRING, icvLen INTEGER }`. */
class GoGcmParameters {
  nonce: ArrayBuffer = new ArrayBuffer(0);
  icvLength = 12;
  constructor(params: Partial<GoGcmParameters> = {}) {
    Object.assign(this, params);
  }
}
/** RFC 5084 GCMParameters: `SEQUENCE { aes-nonce OCTET STRING, aes-ICVlen INTEGER DEFAULT 12 }`. */
class Rfc5084GcmParameters {
  nonce: ArrayBuffer = new ArrayBuffer(0);
  icvLength = 12;
}
// The package's decorators are legacy (experimentalDecorators) ones; applying
// them as plain calls keeps this file free of compiler flags.
AsnProp({ type: AsnPropTypes.OctetString, context: 4, implicit: true })(GoGcmParameters.prototype, 'nonce');
AsnProp({ type: AsnPropTypes.Integer })(GoGcmParameters.prototype, 'icvLength');
AsnProp({ type: AsnPropTypes.OctetString })(Rfc5084GcmParameters.prototype, 'nonce');
AsnProp({ type: AsnPropTypes.Integer, defaultValue: 12 })(Rfc5084GcmParameters.prototype, 'icvLength');

/** Go's parameters element: tag byte 0x10 (primitive) around the DER of GoGcmParameters. */
function gcmParameters(nonce: Uint8Array, tagLength: number): ArrayBuffer {
  const inner = new Uint8Array(AsnConvert.serialize(new GoGcmParameters({ nonce: arrayBuffer(nonce), icvLength: tagLength })));
  if (inner.length > 127) throw new ImgsealError('INTERNAL', 'GCM parameters too long');
  return Uint8Array.from([0x10, inner.length, ...inner]).buffer;
}

/** The content octets of a single DER element (its tag and length stripped). */
function elementContent(el: Uint8Array): Uint8Array {
  const first = el[1] ?? 0;
  const header = first < 0x80 ? 2 : 2 + (first & 0x7f);
  return el.subarray(header);
}

export function buildEnvelope(env: CmsEnvelope): Uint8Array {
  const recipientInfos = new RecipientInfos(
    env.recipients.map(
      (r) =>
        new RecipientInfo({
          ktri: new KeyTransRecipientInfo({
            version: 0,
            rid: new RecipientIdentifier({
              issuerAndSerialNumber: new IssuerAndSerialNumber({
                issuer: AsnConvert.parse(Buffer.from(r.issuer), Name),
                serialNumber: arrayBuffer(r.serial),
              }),
            }),
            keyEncryptionAlgorithm: new KeyEncryptionAlgorithmIdentifier({ algorithm: r.keyEncryptionAlgorithm }),
            encryptedKey: new OctetString(Buffer.from(r.encryptedKey)),
          }),
        }),
    ),
  );
  const enveloped = new EnvelopedData({
    version: 0,
    recipientInfos,
    encryptedContentInfo: new EncryptedContentInfo({
      contentType: OID_DATA,
      contentEncryptionAlgorithm: new ContentEncryptionAlgorithmIdentifier({
        algorithm: env.contentEncryptionAlgorithm,
        parameters: gcmParameters(env.nonce, env.tagLength),
      }),
      encryptedContent: new EncryptedContent({ constructedValue: [new OctetString(Buffer.from(env.encryptedContent))] }),
    }),
  });
  const der = AsnConvert.serialize(new ContentInfo({ contentType: OID_ENVELOPED_DATA, content: AsnConvert.serialize(enveloped) }));
  return new Uint8Array(der);
}

/**
 * Reads the content of the parameters element as Go's `SEQUENCE { [4] nonce,
 * INTEGER }`, whatever the element's own tag (as Go does). An RFC 5084
 * encoding (a real SEQUENCE with an OCTET STRING nonce) is read too.
 */
function parseGcmParameters(params: ArrayBuffer | null | undefined): { nonce: Uint8Array; tagLength: number } {
  if (!params || params.byteLength < 2) throw malformed('AES-GCM parameters are missing');
  const bytes = new Uint8Array(params);
  let parsed: { nonce: ArrayBuffer; icvLength: number };
  try {
    parsed = bytes[0] === 0x30 ? AsnConvert.parse(bytes, Rfc5084GcmParameters) : AsnConvert.parse(elementContent(bytes), GoGcmParameters);
  } catch (err) {
    throw malformed('AES-GCM parameters do not parse', err);
  }
  const nonce = new Uint8Array(parsed.nonce);
  if (nonce.length === 0 || parsed.icvLength < 12 || parsed.icvLength > 16) throw malformed('AES-GCM nonce or tag length is out of range');
  return { nonce, tagLength: parsed.icvLength };
}

export function parseEnvelope(der: Uint8Array): CmsEnvelope {
  let enveloped: EnvelopedData;
  try {
    const info = AsnConvert.parse(Buffer.from(der), ContentInfo);
    if (info.contentType !== OID_ENVELOPED_DATA) throw malformed(`content type ${info.contentType} is not envelopedData`);
    enveloped = AsnConvert.parse(info.content, EnvelopedData);
  } catch (err) {
    if (err instanceof ImgsealError) throw err;
    throw malformed('not a DER CMS EnvelopedData', err);
  }
  const recipients: CmsRecipient[] = [];
  for (const ri of enveloped.recipientInfos) {
    const ias = ri.ktri?.rid.issuerAndSerialNumber;
    // Other recipient kinds (key agreement, KEK, password) are never written by
    // ocicrypt; they cannot be ours, so they are skipped rather than fatal.
    if (!ri.ktri || !ias) continue;
    recipients.push({
      issuer: new Uint8Array(AsnConvert.serialize(ias.issuer)),
      serial: new Uint8Array(ias.serialNumber),
      keyEncryptionAlgorithm: ri.ktri.keyEncryptionAlgorithm.algorithm,
      encryptedKey: new Uint8Array(ri.ktri.encryptedKey.buffer),
    });
  }
  const eci = enveloped.encryptedContentInfo;
  const algorithm = eci.contentEncryptionAlgorithm.algorithm;
  if (!GCM_KEY_LENGTHS.has(algorithm)) throw malformed(`content encryption ${algorithm} is not AES-GCM`);
  const { nonce, tagLength } = parseGcmParameters(eci.contentEncryptionAlgorithm.parameters);
  const ec = eci.encryptedContent;
  let content: Uint8Array;
  if (ec?.value) content = new Uint8Array(ec.value.buffer);
  else if (ec?.constructedValue) content = Buffer.concat(ec.constructedValue.map((o) => Buffer.from(o.buffer)));
  else throw malformed('the encrypted content is missing');
  if (content.length < tagLength) throw malformed('the encrypted content is shorter than its GCM tag');
  return { recipients, contentEncryptionAlgorithm: algorithm, nonce, tagLength, encryptedContent: content };
}
