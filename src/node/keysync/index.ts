/** The key-sync agent: Kubernetes Secrets (API or mounted volume) → the node's key directory. */
export { KeySyncAgent, KEYPROTECT_CONFIG_SECRET, type AuditRecord, type KeySyncOptions, type KeySyncHealth } from './agent.js';
export { SecretApiSource, loadKubeConfig, readNodeLabels, secretRecord, type ApiSourceOptions } from './api-source.js';
export { readSecretVolume, watchSecretVolume, type VolumeSecretOptions } from './dir-source.js';
export { startHealthServer } from './health.js';
export { keyFileName } from './key-files.js';
export { secretKeys, isKeySecretType, type SecretRecord, type SecretKeys, type KeyUnwrapper, type KeySecretType } from './secrets.js';
export { parseLabelSelector, NODE_SELECTOR_ANNOTATION } from './selector.js';
