/** The node side: the containerd decoder, key sync and KMS wrapping. */
export * from './decoder/index.js';
export * from './keysync/index.js';
export * from './kms/index.js';
