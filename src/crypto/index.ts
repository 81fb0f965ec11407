/** Public surface of the crypto folder: layer cipher, options, annotations, key wrapping, keys, layer crypto. */
export * from './cipher/layer-cipher.js';
export * from './cipher/options.js';
export * from './annotations.js';
export { decodeStdBase64, encodeStdBase64 } from './encoding.js';
export * from './wrap/index.js';
export * from './keys/index.js';
export * from './layer/index.js';
