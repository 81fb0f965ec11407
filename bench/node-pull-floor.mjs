// The floor of a registry pull in Node itself, with none of imgseal's code: GET every
// blob with undici (the HTTP client imgseal uses), hash it with SHA-256 and write it to
// a file, PAR blobs at once. No manifest, no digest comparison, no staging, no rename:
// what Node's HTTP client, crypto and fs cost for the bytes a pull must move.
//   node bench/node-pull-floor.mjs URL_LIST OUT_DIR PAR      (URL_LIST: one URL per line)
import { createHash } from 'node:crypto';
import { readFileSync } from 'node:fs';
import { open } from 'node:fs/promises';
import { join } from 'node:path';
import { Agent, request } from 'undici';

const [list, outDir, par] = process.argv.slice(2);
if (!list || !outDir || !par) {
  process.stderr.write('usage: node bench/node-pull-floor.mjs URL_LIST OUT_DIR PAR\n');
  process.exit(2);
}
const urls = readFileSync(list, 'utf8').split('\n').filter(Boolean);
const dispatcher = new Agent({ connections: Number(par) });
let next = 0;
async function worker() {
  for (let i = next++; i < urls.length; i = next++) {
    const url = urls[i];
    const res = await request(url, { dispatcher });
    if (res.statusCode !== 200) throw new Error(`${url}: HTTP ${res.statusCode}`);
    const hash = createHash('sha256');
    const file = await open(join(outDir, String(i)), 'w', 0o600);
    try {
      for await (const chunk of res.body) {
        hash.update(chunk);
        await file.write(chunk);
      }
    } finally {
      await file.close();
    }
    hash.digest('hex');
  }
}
await Promise.all(Array.from({ length: Number(par) }, worker));
await dispatcher.close();
