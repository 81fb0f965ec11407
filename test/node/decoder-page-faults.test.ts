// The decoder recycles its memory: a layer does not cost a fresh page per 4 KiB.
// Without the pacer's keepFreedChunks, glibc handed the cipher's pipe-sized output
// buffers back to the kernel after every collection and each chunk landed on new pages
// (a 64 MiB layer: ~14 500 minor faults beyond start-up, one per page of the layer;
// with it ~4 700). Page faults are counted, not timed, so a busy machine cannot fail
// this. The child's counters come from python3's getrusage (a test peer CI installs).
import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { closeSync, mkdtempSync, openSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, test } from 'node:test';
import { DECODER_BUNDLE } from '../testkit/cli.js';
import { encodePayload, encryptedLayer, type LayerDescriptor } from './decoder-helpers.js';

const work = mkdtempSync(join(tmpdir(), 'imgseal-decoder-faults-'));
after(() => rmSync(work, { recursive: true, force: true }));

// Runs the decoder (stdin and fd 3 from files, stdout discarded)
// and prints the child's minor page faults on stderr's last line.
const RUSAGE = `
import resource, subprocess, sys
p = subprocess.run(sys.argv[1:], pass_fds=(3,))
print("minflt", resource.getrusage(resource.RUSAGE_CHILDREN).ru_minflt, file=sys.stderr)
sys.exit(p.returncode)
`;

async function decoderFaults(blobPath: string, descriptor: LayerDescriptor, keysDir: string, name: string): Promise<number> {
  const payloadPath = join(work, `${name}.payload`);
  writeFileSync(payloadPath, encodePayload(descriptor));
  const stdin = openSync(blobPath, 'r');
  const fd3 = openSync(payloadPath, 'r');
  try {
    const child = spawn('python3', ['-c', RUSAGE, process.execPath, DECODER_BUNDLE, '--decryption-keys-path', keysDir], {
      stdio: [stdin, 'ignore', 'pipe', fd3],
    });
    let stderr = '';
    child.stderr?.setEncoding('utf8').on('data', (d: string) => (stderr += d));
    const code = await new Promise<number | null>((resolve) => child.on('close', resolve));
    assert.equal(code, 0, stderr);
    const m = /minflt (\d+)\s*$/.exec(stderr);
    assert.ok(m, `no fault count in: ${stderr}`);
    return Number(m[1]);
  } finally {
    closeSync(stdin);
    closeSync(fd3);
  }
}

test('a 64 MiB layer costs far fewer page faults than it has pages', { timeout: 180_000 }, async (t) => {
  const small = await encryptedLayer(join(work, 'small'), 1 << 20);
  const big = await encryptedLayer(join(work, 'big'), 64 << 20);
  const base = await decoderFaults(small.blobPath, small.descriptor, small.keysDir, 'small');
  const faults = await decoderFaults(big.blobPath, big.descriptor, big.keysDir, 'big');
  const pages = (64 << 20) / 4096;
  t.diagnostic(`${faults - base} page faults beyond start-up (${base}) for ${pages} pages of layer`);
  assert.ok(faults - base < pages / 2, `${faults - base} page faults beyond start-up (${base}) for ${pages} pages of layer`);
});
