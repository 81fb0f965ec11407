// Preload for `node --import`: records which modules a process loads, into the file
// named by IMGSEAL_MODULE_TRACE. ES modules come from the load hook; CommonJS modules
// (also those required with createRequire, which bypass the hooks) from require.cache
// at exit. The test of lazy loading reads the file (test/cli/lazy-load.test.ts).
import { appendFileSync } from 'node:fs';
import { createRequire, register } from 'node:module';
import { pathToFileURL } from 'node:url';

register(new URL('./module-trace-hooks.js', import.meta.url));

const cache = createRequire(import.meta.url).cache;
process.on('exit', () => {
  const out = process.env.IMGSEAL_MODULE_TRACE;
  if (!out) return;
  const cjs = Object.keys(cache).map((p) => pathToFileURL(p).href);
  appendFileSync(out, cjs.map((u) => `${u}\n`).join(''));
});
