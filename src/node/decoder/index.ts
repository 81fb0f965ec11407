/** The containerd stream processor for encrypted layers. */
export { decodeLayer, type DecodeLayerOptions, type DecodeLayerResult } from './decoder.js';
export { parsePayload, decodeAny, PAYLOAD_TYPE_URL, type DecoderPayload } from './payload.js';
export { readPayloadFd } from './fd-payload.js';
export { readKeyDirectory, type KeyDirectory } from './key-dir.js';
