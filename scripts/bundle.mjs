#!/usr/bin/env node
// Bundles the two programs tsc built into dist/src: the command line into dist/cli/ and
// the stream processor into dist/decoder/. Node 20 resolves, reads and compiles every ES
// module a program imports on each start; the CLI's copy command imports ~200 of
// dist/src's modules and spent ~0.12 CPU-s of a 0.4 s tiny copy on that, and containerd
// starts one decoder per layer (~70 ms of a ~280 ms start). See bench/README.md,
// "Decoder start-up" and "The CLI bundle". Both keep their dynamic imports as chunks, so
// what only some commands or key formats need still loads lazily.
// The library (dist/src/index.js) stays unbundled: its users' bundlers do that.
// Usage: node scripts/bundle.mjs   (after tsc; npm run build does both)
import { build } from 'esbuild';
import { rmSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';

const root = join(dirname(fileURLToPath(import.meta.url)), '..');

/** Options both bundles share. Stable entry names: bin, wrappers and containerd's config point at them. */
const common = {
  bundle: true,
  splitting: true,
  format: 'esm',
  platform: 'node',
  target: 'node20',
  entryNames: '[name]',
  chunkNames: 'chunks/[name]-[hash]',
  legalComments: 'linked',
  logLevel: 'warning',
};

async function bundle(entry, out, options) {
  const outdir = join(root, 'dist', out);
  rmSync(outdir, { recursive: true, force: true });
  await build({ ...common, entryPoints: [join(root, 'dist', 'src', 'cli', entry)], outdir, ...options });
}

// The CLI: our own code in one bundle, packages still loaded from node_modules (each is
// a handful of files, several are CommonJS that an ES bundle could only require through
// a shim, and the lazy-loading test can then still see which ones a command loads).
await bundle('main.js', 'cli', { packages: 'external' });
// The decoder: everything, packages included, in one entry file plus lazy chunks (the
// openpgp, yaml and PKCS#7 code). pkcs11js is a native addon, loaded with createRequire
// from node_modules when a PKCS#11 key is used.
await bundle('decoder-main.js', 'decoder', { external: ['pkcs11js'] });
