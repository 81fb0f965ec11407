#!/usr/bin/env node
// Bundles the stream processor (dist/src/cli/decoder-main.js, built by tsc) into
// dist/decoder/. containerd starts one decoder per layer, and Node 20 resolves, reads
// and compiles each of the ~100 ES modules the decoder needs on every start: that was
// ~70 ms of a ~280 ms start (bench/README.md, "Decoder start-up"). One entry file with
// what every run needs, plus chunks for what only some key formats load (openpgp,
// yaml, the PKCS#7 and pgp parsers stay dynamic imports, so still lazy). Native
// pkcs11js is required at run time from node_modules, as before.
// Usage: node scripts/bundle-decoder.mjs   (after tsc; npm run build does both)
import { build } from 'esbuild';
import { rmSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';

const root = join(dirname(fileURLToPath(import.meta.url)), '..');
const outdir = join(root, 'dist', 'decoder');
rmSync(outdir, { recursive: true, force: true });
await build({
  entryPoints: [join(root, 'dist', 'src', 'cli', 'decoder-main.js')],
  outdir,
  bundle: true,
  splitting: true,
  format: 'esm',
  platform: 'node',
  target: 'node20',
  // A native addon: loaded with createRequire from node_modules when a PKCS#11 key is used.
  external: ['pkcs11js'],
  // Stable names: the entry is what users' wrappers and containerd's config point at.
  entryNames: '[name]',
  chunkNames: 'chunks/[name]-[hash]',
  legalComments: 'linked',
  logLevel: 'warning',
});
