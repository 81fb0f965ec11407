/**
 * How much each pipeline step may buffer. Chunks are 256 KiB (the OCI source reads
 * that much at a time); allowing two per side keeps the cipher steps busy without
 * letting memory grow with the number of steps or parallel layers.
 */
export const STEP_HIGH_WATER_MARK = 512 << 10;

/**
 * Steps that only look at the bytes (progress, digests, the connector to the
 * destination) hold about one chunk per side: they never wait on anything, so more
 * slack buys no speed, while six parallel blobs × four such steps × two sides of
 * 512 KiB would be tens of MiB held for nothing. The cipher steps and the file
 * writer (1 MiB) keep the larger buffers.
 */
export const PASS_HIGH_WATER_MARK = 64 << 10;
