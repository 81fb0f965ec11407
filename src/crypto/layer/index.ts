/**
 * Layer crypto: open an encrypted layer from its descriptor and a KeySource, get the
 * transforms that decrypt and verify it, encrypt a layer, or rewrap its keys (same
 * blob, new key annotations). Used by the copy pipeline, the recipient commands and
 * the containerd decoder alike.
 */
export { openLayer, MISSING_KEY_MESSAGE, type EncryptedLayerDescriptor, type OpenedLayer } from './open.js';
export { decryptTransforms, type DecryptExpectations } from './decrypt.js';
export { PlaintextVerifier, loadZstd, type PlaintextExpectations } from './verify-plaintext.js';
export { encryptLayer, wrapPrivateOptions, type LayerEncryption } from './encrypt.js';
export { addLayerRecipients, removeLayerRecipients, type RewrapResult } from './rewrap.js';
