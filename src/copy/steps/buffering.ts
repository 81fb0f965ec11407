/**
 * How much each pipeline step may buffer. Chunks are 256 KiB (the OCI source reads
 * that much at a time); allowing two per side keeps every step busy without letting
 * memory grow with the number of steps or parallel layers.
 */
export const STEP_HIGH_WATER_MARK = 512 << 10;
