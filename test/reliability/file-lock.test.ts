/**
 * The lock behind every read-modify-write of a shared file: mutual exclusion (within a
 * process and between processes), a stale lock of a killed owner broken, a live or
 * foreign one never broken but waited for with a bound, and a clear error naming it.
 */
import assert from 'node:assert/strict';
import { spawn, spawnSync } from 'node:child_process';
import { existsSync, mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { readFile, writeFile } from 'node:fs/promises';
import { hostname, tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, test } from 'node:test';
import { isImgsealError } from '../../src/errors.js';
import { currentOwner, isStaleName, ownedName, ownerIsGone, removeStaleLeftovers, withFileLock } from '../../src/util/lock/index.js';

const dir = mkdtempSync(join(tmpdir(), 'imgseal-lock-'));
after(() => rmSync(dir, { recursive: true, force: true }));

/** The pid of a process that has ended (so a lock or name it owned is stale). */
function deadPid(): number {
  const r = spawnSync(process.execPath, ['-e', 'process.stdout.write(String(process.pid))'], { encoding: 'utf8' });
  return Number(r.stdout);
}

test('within one process: 40 read-modify-writes of one counter, none lost', async () => {
  const counter = join(dir, 'counter');
  writeFileSync(counter, '0');
  await Promise.all(
    Array.from({ length: 40 }, () =>
      withFileLock(join(dir, 'counter.lock'), async () => {
        const n = Number(await readFile(counter, 'utf8'));
        await new Promise((r) => setTimeout(r, 1));
        await writeFile(counter, String(n + 1));
      }),
    ),
  );
  assert.equal(readFileSync(counter, 'utf8'), '40');
  assert.deepEqual(readdirSync(dir).filter((n) => n.startsWith('.counter') || n.startsWith('counter.lock')), [], 'no lock or temporary left');
});

test('a lock whose owner is gone is broken at once', async () => {
  const lock = join(dir, 'stale.lock');
  writeFileSync(lock, JSON.stringify({ pid: deadPid(), token: 'abcdefgh', hostname: hostname(), since: '2020-01-01T00:00:00Z' }));
  const t0 = Date.now();
  const ran = await withFileLock(lock, async () => 'ran', { timeoutMs: 5_000 });
  assert.equal(ran, 'ran');
  assert.ok(Date.now() - t0 < 2_000, 'no waiting for a dead owner');
  assert.equal(existsSync(lock), false);
});

test('a lock of a live process is not broken: the wait is bounded and the error names the file and owner', async () => {
  const child = spawn(process.execPath, ['-e', 'setTimeout(() => {}, 60000)'], { stdio: 'ignore' });
  try {
    const lock = join(dir, 'live.lock');
    // No start token: a live pid alone keeps the lock.
    writeFileSync(lock, JSON.stringify({ pid: child.pid, token: '', hostname: hostname(), since: 'now' }));
    let ran = false;
    await assert.rejects(
      withFileLock(lock, async () => (ran = true), { timeoutMs: 300, what: 'oci:/x:v1' }),
      (err: unknown) => isImgsealError(err, 'LOCK_TIMEOUT') && err.message.includes(lock) && err.message.includes(`pid ${child.pid}`) && err.message.startsWith('oci:/x:v1: '),
    );
    assert.equal(ran, false);
    assert.ok(existsSync(lock), 'the live lock is still there');
  } finally {
    child.kill('SIGKILL');
  }
});

test('a lock from another host is never broken', async () => {
  const lock = join(dir, 'foreign.lock');
  writeFileSync(lock, JSON.stringify({ pid: deadPid(), token: 'abcdefgh', hostname: `not-${hostname()}`, since: 'then' }));
  await assert.rejects(withFileLock(lock, async () => 1, { timeoutMs: 200 }), (err: unknown) => isImgsealError(err, 'LOCK_TIMEOUT'));
  assert.ok(existsSync(lock));
});

test('an abort signal ends the wait', async () => {
  const lock = join(dir, 'abort.lock');
  writeFileSync(lock, JSON.stringify({ ...currentOwner(), since: 'now' })); // held by "us", elsewhere
  const ac = new AbortController();
  setTimeout(() => ac.abort(), 50);
  await assert.rejects(withFileLock(lock, async () => 1, { timeoutMs: 10_000, signal: ac.signal }), (err: unknown) => isImgsealError(err, 'ABORTED'));
});

test('owner-named leftovers: a dead owner\'s removed, a live one\'s and foreign names kept', async () => {
  const area = join(dir, 'leftovers');
  const mine = ownedName('.x.imgseal-');
  const dead = `.x.imgseal-${deadPid()}.abcdefgh-1234abcd`;
  const legacyDead = `.x.imgseal-${deadPid()}-1234abcd`;
  const notOurs = '.x.imgseal-notes';
  for (const n of [mine, dead, legacyDead, notOurs]) {
    const { mkdirSync } = await import('node:fs');
    mkdirSync(join(area, n), { recursive: true });
  }
  assert.equal(isStaleName(mine, '.x.imgseal-'), false);
  assert.equal(isStaleName(dead, '.x.imgseal-'), true);
  const removed = await removeStaleLeftovers(area, ['.x.imgseal-']);
  assert.deepEqual(removed.sort(), [dead, legacyDead].sort());
  assert.deepEqual(readdirSync(area).sort(), [mine, notOurs].sort());
});

test('this process\'s pid with another start token counts as gone (a reused pid)', { skip: !existsSync('/proc/self/stat') && 'no /proc: start tokens cannot be told apart' }, () => {
  const me = currentOwner();
  assert.notEqual(me.token, '');
  assert.equal(ownerIsGone({ ...me, token: 'zzzzzzzz' }), true);
  assert.equal(ownerIsGone(me), false);
});
