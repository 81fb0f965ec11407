// The floor of an encrypt or decrypt in Node itself, with none of imgseal's code: what
// Node's own crypto and fs calls cost for the work every copy must do. IN is read with
// positioned 256 KiB reads into one reused buffer (imgseal's pump chunk); every chunk
// is hashed (source digest), run through AES-256-CTR and HMAC-SHA256 (the layer
// cipher), hashed again (destination digest) and written at its offset to OUT. One
// thread, so its CPU-seconds are the work, not a wall time.
//   node bench/node-floor.mjs IN OUT
import { createCipheriv, createHash, createHmac, randomBytes } from 'node:crypto';
import { closeSync, openSync, readSync, writeSync } from 'node:fs';

const [input, output] = process.argv.slice(2);
if (!input || !output) {
  process.stderr.write('usage: node bench/node-floor.mjs IN OUT\n');
  process.exit(2);
}
const key = randomBytes(32);
const cipher = createCipheriv('aes-256-ctr', key, randomBytes(16));
const mac = createHmac('sha256', key);
const src = createHash('sha256');
const dst = createHash('sha256');
const buf = Buffer.allocUnsafeSlow(256 << 10);
const inFd = openSync(input, 'r');
const outFd = openSync(output, 'w', 0o600);
for (let pos = 0; ; ) {
  const n = readSync(inFd, buf, 0, buf.length, pos);
  if (n === 0) break;
  const chunk = buf.subarray(0, n);
  src.update(chunk);
  const out = cipher.update(chunk);
  mac.update(out);
  dst.update(out);
  for (let off = 0; off < out.length; ) off += writeSync(outFd, out, off, out.length - off, pos + off);
  pos += n;
}
cipher.final();
closeSync(inFd);
closeSync(outFd);
process.stdout.write(`${src.digest('hex')} ${mac.digest('hex')} ${dst.digest('hex')}\n`);
