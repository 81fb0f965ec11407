/**
 * Ctrl-C (SIGINT) or SIGTERM in the middle of a copy: the copy stops, what was staged
 * is removed, the destination is not created, and the process ends by that signal
 * (a shell shows 130 or 143), as a program stopped by one should. A hook preloaded into
 * the CLI makes the layer's open never return (as a read blocked in the kernel on a hung
 * mount: blobs that are FIFOs are refused now), so the copy is reliably stuck.
 */
import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { existsSync, mkdtempSync, readdirSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, test } from 'node:test';
import { CLI_MAIN, REPO_ROOT, runCli } from '../testkit/cli.js';
import { buildLayout } from '../testkit/image-builder.js';
import { blobFile } from '../testkit/image-reader.js';

const dir = mkdtempSync(join(tmpdir(), 'imgseal-interrupt-'));
after(() => rmSync(dir, { recursive: true, force: true }));

async function stuckLayout(name: string): Promise<{ src: string; layerDigest: string; hook: string }> {
  const src = join(dir, name);
  const img = await buildLayout(src, [{ files: { 'a.txt': 'never read\n' }, compression: 'none' }], { ref: 'v1' });
  const layer = img.layers[0]!.desc.digest;
  const hook = join(dir, `${name}-hook.mjs`);
  // Opening the layer's blob never returns; the timer keeps the process alive as the
  // blocked I/O thread would.
  writeFileSync(
    hook,
    `import fs from 'node:fs';
import { syncBuiltinESMExports } from 'node:module';
const blob = ${JSON.stringify(blobFile(src, layer))};
const stuck = (fn) => (p, ...rest) => (String(p) === blob ? (setInterval(() => {}, 1000), new Promise(() => {})) : fn(p, ...rest));
fs.promises.open = stuck(fs.promises.open);
fs.promises.readFile = stuck(fs.promises.readFile);
syncBuiltinESMExports();
`,
  );
  return { src, layerDigest: layer, hook };
}

function stopMidCopy(src: string, dest: string, layerDigest: string, hook: string, signal: NodeJS.Signals): Promise<{ code: number | null; signal: NodeJS.Signals | null; stderr: string; ms: number }> {
  return new Promise((resolve, reject) => {
    const child = spawn(process.execPath, ['--import', hook, CLI_MAIN, 'copy', `oci:${src}:v1`, `oci:${dest}:v1`], { cwd: REPO_ROOT, stdio: ['ignore', 'ignore', 'pipe'] });
    let stderr = '';
    let sentAt = 0;
    const guard = setTimeout(() => child.kill('SIGKILL'), 30_000);
    child.stderr.setEncoding('utf8').on('data', (d: string) => {
      stderr += d;
      // The layer's transfer has started (plain progress lines when not on a TTY).
      if (!sentAt && stderr.includes(layerDigest.slice(7, 19))) {
        sentAt = Date.now();
        setTimeout(() => child.kill(signal), 200);
      }
    });
    child.on('error', reject);
    child.on('close', (code, sig) => {
      clearTimeout(guard);
      resolve({ code, signal: sig, stderr, ms: Date.now() - sentAt });
    });
  });
}

for (const signal of ['SIGINT', 'SIGTERM'] as const) {
  test(`${signal} mid-copy: ends by ${signal}, one line saying so, no destination, no staging left`, async () => {
    const { src, layerDigest, hook } = await stuckLayout(`src-${signal}`);
    const dest = join(dir, `out-${signal}`);
    const r = await stopMidCopy(src, dest, layerDigest, hook, signal);
    assert.equal(r.signal, signal, `ended by ${r.signal ?? `exit ${r.code}`}: ${r.stderr}`);
    assert.match(r.stderr, new RegExp(`imgseal: ${signal === 'SIGINT' ? 'interrupted' : 'terminated'} \\(${signal}\\); nothing was committed to the destination`));
    assert.ok(r.ms < 10_000, `exited ${r.ms} ms after the signal`);
    assert.equal(existsSync(dest), false, 'the destination was not created');
    assert.deepEqual(readdirSync(dir).filter((n) => n.includes(`out-${signal}`)), [], 'no staging folder left beside it');
  });
}

test('a copy of many layers, with the stop signal armed, prints nothing but its own lines', async () => {
  const src = join(dir, 'many');
  await buildLayout(
    src,
    Array.from({ length: 40 }, (_, i) => ({ files: { [`f${i}.txt`]: `layer ${i}\n` }, compression: 'none' as const })),
    { ref: 'v1' },
  );
  const r = await runCli(['copy', '-q', `oci:${src}:v1`, `oci:${join(dir, 'many-out')}:v1`]);
  assert.equal(r.code, 0, r.stderr);
  assert.equal(r.stderr, '', 'no warnings (e.g. MaxListenersExceededWarning from abort listeners)');
});
