// Issue 12, defect 1: the CLI never exits 0 while its operation is unfinished. A hook
// preloaded into the CLI makes one read never settle (as a stalled stream step did):
// the event loop empties with the command pending, and the guard turns that into one
// error line and exit 1 instead of Node's silent exit 0.
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, test } from 'node:test';
import { CLI_MAIN, errorLines, FIXTURES } from '../testkit/cli.js';

let tmp: string;
before(() => {
  tmp = mkdtempSync(join(tmpdir(), 'imgseal-unfinished-'));
});
after(() => rmSync(tmp, { recursive: true, force: true }));

const NEVER_READ_INDEX = `
import fs from 'node:fs';
import { syncBuiltinESMExports } from 'node:module';
const never = (fn) => (p, ...rest) => (String(p).endsWith('index.json') ? new Promise(() => {}) : fn(p, ...rest));
fs.promises.readFile = never(fs.promises.readFile);
fs.promises.open = never(fs.promises.open);
syncBuiltinESMExports();
`;

function runWithHook(hook: string, args: string[]): { code: number | null; stdout: string; stderr: string } {
  const file = join(tmp, `hook-${Math.random().toString(16).slice(2)}.mjs`);
  writeFileSync(file, hook);
  const r = spawnSync(process.execPath, ['--import', file, CLI_MAIN, ...args], { encoding: 'utf8', timeout: 30_000, env: { ...process.env, IMGSEAL_DEBUG: '' } });
  return { code: r.status, stdout: r.stdout, stderr: r.stderr };
}

for (const args of [['inspect'], ['copy', '-q']]) {
  test(`${args[0]}: a read that never settles fails with one line and exit 1, not a silent 0`, () => {
    const src = `oci:${join(FIXTURES, 'plain-base', 'image')}:base`;
    const r = runWithHook(NEVER_READ_INDEX, [...args, src, ...(args[0] === 'copy' ? [`oci:${join(tmp, 'out')}:x`] : [])]);
    assert.equal(r.code, 1, `exit 1; stderr: ${r.stderr}`);
    const lines = errorLines(r.stderr);
    assert.equal(lines.length, 1, r.stderr);
    assert.match(lines[0]!, /stopped without finishing/);
    assert.equal(r.stdout, '');
  });
}

test('the same command without the hook succeeds (the hook, not the image, makes it hang)', () => {
  const r = runWithHook('', ['inspect', `oci:${join(FIXTURES, 'plain-base', 'image')}:base`]);
  assert.equal(r.code, 0, r.stderr);
  assert.match(r.stdout, /"Digest"|digest/i);
});
