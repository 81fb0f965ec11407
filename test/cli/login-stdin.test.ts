// `login --password-stdin` reads a bounded amount: a password, not whatever is piped in.
import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { Readable } from 'node:stream';
import { test } from 'node:test';
import { readSecretFromStdin, STDIN_SECRET_LIMIT } from '../../src/cli/stdin.js';
import { CLI_MAIN } from '../testkit/cli.js';

test('the secret is read without its trailing newline; more than the limit is refused', async () => {
  assert.equal(await readSecretFromStdin('t', Readable.from([Buffer.from('pass'), Buffer.from('word\r\n')])), 'password');
  assert.equal(await readSecretFromStdin('t', Readable.from([Buffer.from('a\nb\n')])), 'a\nb');
  await assert.rejects(readSecretFromStdin('login --password-stdin', Readable.from([Buffer.alloc(STDIN_SECRET_LIMIT + 1, 0x61)])), (e: Error) => {
    assert.match(e.message, /^login --password-stdin: standard input holds more than 65536 bytes/);
    return true;
  });
});

test('imgseal login refuses an endless stdin with one line, without contacting the registry', async () => {
  const child = spawn(process.execPath, [CLI_MAIN, 'login', '-u', 'someone', '--password-stdin', '--authfile', '/nonexistent/auth.json', '127.0.0.1:9'], { stdio: ['pipe', 'pipe', 'pipe'] });
  let stderr = '';
  child.stderr.setEncoding('utf8').on('data', (d: string) => (stderr += d));
  child.stdin.on('error', () => {}); // the CLI stops reading: EPIPE is expected
  const chunk = Buffer.alloc(16 << 10, 0x61);
  let sent = 0;
  // Feed until the CLI gives up; never more than 16 MiB so a regression cannot eat memory.
  const feed = (): void => {
    while (sent < 16 << 20 && !child.stdin.destroyed) {
      sent += chunk.length;
      if (!child.stdin.write(chunk)) return void child.stdin.once('drain', feed);
    }
    child.stdin.end();
  };
  feed();
  const code = await new Promise<number | null>((resolve) => child.on('close', resolve));
  assert.notEqual(code, 0);
  const lines = stderr.split('\n').filter((l) => l.trim() !== '');
  assert.equal(lines.length, 1, stderr);
  assert.match(lines[0]!, /standard input holds more than/);
  assert.ok(sent < 16 << 20, 'the CLI read until the end instead of stopping at the limit');
});
