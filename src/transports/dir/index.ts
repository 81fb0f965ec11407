export { dirTransport, DirReference } from './reference.js';
export { DirImageSource } from './source.js';
export { DirImageDestination } from './destination.js';
