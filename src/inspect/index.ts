export { inspectImage, rawManifest, imageConfig, type InspectResult } from './inspect.js';
export { layerInfo, type LayerInfo } from './layerinfo.js';
export { resolveImages, type ResolvedImage, type ResolvedTop } from './resolve.js';
