export { ociTransport, OciLayoutReference } from './reference.js';
export { OciLayoutSource } from './source.js';
export { OciLayoutDestination } from './destination.js';
export { blobPath, readLayoutIndex } from './layout.js';
