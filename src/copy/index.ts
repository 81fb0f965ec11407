export { copyImage } from './copy-image.js';
export { selectLayers, planLayers } from './layer-plan.js';
export type { CopyOptions, CopyResult, CopiedLayer, EncryptOptions, DecryptOptions, RecipientChangeOptions, SourcePolicy, ManifestSigner, SigningOptions, UntrustedSourceImage } from './options.js';
export type { ProgressSink, BlobAction } from './progress.js';
export { silentProgress } from './progress.js';
