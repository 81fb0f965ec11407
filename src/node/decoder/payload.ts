/**
 * The unpack payload containerd hands a stream processor on file descriptor 3
 * (spec §8.2): a protobuf `google.protobuf.Any` whose `type_url` is
 * `io.containerd.ocicrypt.v1.Payload` and whose `value` is JSON (imgcrypt registers
 * a plain Go struct with typeurl, so the value is not protobuf):
 * `{"DecryptConfig":{"Parameters":{...}},"Descriptor":{...the layer...}}`.
 */
import { ImgsealError } from '../../errors.js';
import { parseDescriptor, type Descriptor } from '../../model/descriptor.js';
import { decodeStdBase64 } from '../../crypto/encoding.js';

export const PAYLOAD_TYPE_URL = 'io.containerd.ocicrypt.v1.Payload';

export interface DecoderPayload {
  /** The layer being unpacked, with its `org.opencontainers.image.enc.*` annotations. */
  descriptor: Descriptor;
  /**
   * `DecryptConfig.Parameters` decoded from base64 (ctr-enc `--key` puts private keys
   * and their passwords here; CRI's node key model sends none).
   */
  parameters: Map<string, Buffer[]>;
}

/** What fixes a missing payload; part of every "no payload" message. */
export const PAYLOAD_HELP =
  'containerd passes it only to a CRI pull with image_decryption key_model = "node" (ctr pull and ' +
  "containerd 2.x's transfer service pass none; on containerd 2.x set use_local_image_pull = true under " +
  "[plugins.\"io.containerd.cri.v1.images\"]), and only to the stream processor ids " +
  'io.containerd.ocicrypt.decoder.v1.tar and io.containerd.ocicrypt.decoder.v1.tar.gzip (for tar+zstd ' +
  'layers: accept them under the …v1.tar id and add --returns application/vnd.oci.image.layer.v1.tar)';

function bad(what: string): ImgsealError {
  return new ImgsealError('DECODER_PAYLOAD', `invalid unpack payload on fd 3: ${what}`);
}

function readVarint(buf: Buffer, pos: number): [number, number] {
  let value = 0;
  let shift = 0;
  for (let i = pos; i < buf.length && shift < 53; i++) {
    const b = buf[i] as number;
    value += (b & 0x7f) * 2 ** shift;
    if ((b & 0x80) === 0) return [value, i + 1];
    shift += 7;
  }
  throw bad('truncated protobuf varint');
}

/** Fields 1 (type_url) and 2 (value) of a protobuf Any; other fields are skipped as protobuf allows. */
export function decodeAny(buf: Buffer): { typeUrl: string; value: Buffer } {
  let typeUrl = '';
  let value: Buffer = Buffer.alloc(0);
  let pos = 0;
  while (pos < buf.length) {
    const [key, afterKey] = readVarint(buf, pos);
    const field = Math.floor(key / 8);
    const wire = key % 8;
    pos = afterKey;
    if (wire === 2) {
      const [len, start] = readVarint(buf, pos);
      if (start + len > buf.length) throw bad('truncated protobuf field');
      const bytes = buf.subarray(start, start + len);
      if (field === 1) typeUrl = bytes.toString('utf8');
      else if (field === 2) value = bytes;
      pos = start + len;
    } else if (wire === 0) {
      pos = readVarint(buf, pos)[1];
    } else if (wire === 1) {
      pos += 8;
    } else if (wire === 5) {
      pos += 4;
    } else {
      throw bad(`unsupported protobuf wire type ${wire}`);
    }
  }
  if (pos > buf.length) throw bad('truncated protobuf field');
  return { typeUrl, value };
}

/** Parses the fd-3 bytes; empty input or an empty Any gets the configuration hint. */
export function parsePayload(bytes: Buffer): DecoderPayload {
  if (bytes.length === 0) {
    throw new ImgsealError('DECODER_PAYLOAD', `fd 3 is open but empty: containerd sent no unpack payload, so the layer's wrapped keys are unknown; ${PAYLOAD_HELP}`);
  }
  const { typeUrl, value } = decodeAny(bytes);
  if (typeUrl === '' && value.length === 0) {
    throw new ImgsealError('DECODER_PAYLOAD', `the unpack payload on fd 3 is an empty Any: containerd sent no layer descriptor; ${PAYLOAD_HELP}`);
  }
  // typeurl writes the bare name; a "type.googleapis.com/" prefix is accepted too.
  if (typeUrl !== PAYLOAD_TYPE_URL && !typeUrl.endsWith(`/${PAYLOAD_TYPE_URL}`)) {
    throw bad(`unknown payload type ${JSON.stringify(typeUrl)} (expected ${PAYLOAD_TYPE_URL})`);
  }
  let json: unknown;
  try {
    json = JSON.parse(value.toString('utf8'));
  } catch {
    throw bad('the payload value is not JSON');
  }
  if (typeof json !== 'object' || json === null || Array.isArray(json)) throw bad('the payload value is not a JSON object');
  const o = json as Record<string, unknown>;
  if (o.Descriptor === undefined || o.Descriptor === null) throw bad('no Descriptor');
  let descriptor: Descriptor;
  try {
    descriptor = parseDescriptor(o.Descriptor, 'Descriptor');
  } catch (err) {
    throw bad((err as Error).message);
  }
  return { descriptor, parameters: parseParameters(o.DecryptConfig) };
}

function parseParameters(dc: unknown): Map<string, Buffer[]> {
  const out = new Map<string, Buffer[]>();
  if (dc === undefined || dc === null) return out;
  if (typeof dc !== 'object' || Array.isArray(dc)) throw bad('DecryptConfig is not an object');
  const params = (dc as Record<string, unknown>).Parameters;
  if (params === undefined || params === null) return out;
  if (typeof params !== 'object' || Array.isArray(params)) throw bad('DecryptConfig.Parameters is not an object');
  for (const [name, list] of Object.entries(params as Record<string, unknown>)) {
    if (list === null) continue;
    if (!Array.isArray(list)) throw bad(`DecryptConfig.Parameters.${name} is not a list`);
    // Go marshals [][]byte as a list of std-base64 strings.
    out.set(
      name,
      list.map((item, i) => {
        const b = typeof item === 'string' ? decodeStdBase64(item) : undefined;
        if (!b) throw bad(`DecryptConfig.Parameters.${name}[${i}] is not base64`);
        return b;
      }),
    );
  }
  return out;
}
