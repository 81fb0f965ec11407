export type { Transport, ImageReference, ImageSource, ImageDestination, ManifestBlob, PutBlobInfo, PutBlobResult, UntrustedSignature } from './types.js';
export type { SystemContext, RegistryCredentials } from './context.js';
export { parseImageName, getTransport, transportNames, registerTransport } from './transports.js';
export { ociTransport, OciLayoutReference } from './oci/index.js';
export { dockerTransport, DockerReference, login, logout, listTags, parseDockerName, formatDockerName, type TagList } from './docker/index.js';
export { ociArchiveTransport, dockerArchiveTransport } from './archive/index.js';
export { dirTransport, DirReference } from './dir/index.js';
