// imgseal generate-sigstore-key (skopeo's command): the pair it writes, the passphrase
// sources (file, COSIGN_PASSWORD, none without a terminal), and that it never replaces
// or half-writes files.
import assert from 'node:assert/strict';
import { createPublicKey } from 'node:crypto';
import { existsSync, mkdtempSync, readFileSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, test } from 'node:test';
import { decryptSigstorePrivateKey, publicKeyPem } from '../../src/signature/sigstore-key.js';
import { spawn } from 'node:child_process';
import { CLI_MAIN, errorLines, runCli } from '../testkit/cli.js';
import { requireTool } from '../testkit/tools.js';

/**
 * Runs the CLI on a terminal (util-linux `script` makes the pty) and types each answer
 * as soon as its prompt appears; returns everything the terminal showed.
 */
function onTerminal(args: string[], answers: string[]): Promise<{ code: number | null; screen: string }> {
  const quoted = [process.execPath, CLI_MAIN, ...args].map((a) => `'${a.replace(/'/g, `'\\''`)}'`).join(' ');
  const env: NodeJS.ProcessEnv = { ...process.env };
  delete env.COSIGN_PASSWORD;
  const child = spawn('script', ['-qec', quoted, '/dev/null'], { stdio: ['pipe', 'pipe', 'pipe'], env });
  let screen = '';
  let asked = 0;
  child.stdout.setEncoding('utf8').on('data', (d: string) => {
    screen += d;
    const prompts = screen.split(/Passphrase for|passphrase for .* again/).length - 1;
    while (asked < prompts && asked < answers.length) child.stdin.write(`${answers[asked++]}\r`);
  });
  return new Promise((resolve) => child.on('close', (code) => resolve({ code, screen })));
}

const tmp = mkdtempSync(join(tmpdir(), 'imgseal-sigstore-key-'));
after(() => rmSync(tmp, { recursive: true, force: true }));

test('--passphrase-file: PREFIX.private (0600, encrypted with it) and PREFIX.pub (P-256 PUBLIC KEY); the passphrase is never printed', async () => {
  const pw = join(tmp, 'pw.txt');
  writeFileSync(pw, 'correct horse\nsecond line ignored\n');
  const prefix = join(tmp, 'a');
  const r = await runCli(['generate-sigstore-key', '--output-prefix', prefix, '--passphrase-file', pw], { env: { COSIGN_PASSWORD: 'not used' } });
  assert.equal(r.code, 0, r.stderr);
  assert.equal(r.stdout, `Key written to "${prefix}.private" and "${prefix}.pub"\n`);
  assert.ok(!`${r.stdout}${r.stderr}`.includes('correct horse'));
  const st = statSync(`${prefix}.private`);
  assert.ok(st.isFile());
  assert.equal(st.mode & 0o777, 0o600);
  const text = readFileSync(`${prefix}.private`, 'utf8');
  assert.match(text, /^-----BEGIN ENCRYPTED SIGSTORE PRIVATE KEY-----\n/);
  const key = await decryptSigstorePrivateKey(text, 'correct horse', 'a.private');
  const pub = readFileSync(`${prefix}.pub`, 'utf8');
  assert.match(pub, /^-----BEGIN PUBLIC KEY-----\n/);
  assert.equal(pub, publicKeyPem(key));
  assert.equal(createPublicKey(pub).asymmetricKeyDetails?.namedCurve, 'prime256v1');
  await assert.rejects(decryptSigstorePrivateKey(text, 'not used', 'a.private'), /incorrect passphrase/);
});

test('COSIGN_PASSWORD is used without a passphrase file; without either and without a terminal: one line, nothing written', async () => {
  const prefix = join(tmp, 'b');
  const r = await runCli(['generate-sigstore-key', '--output-prefix', prefix], { env: { COSIGN_PASSWORD: 's3cret' } });
  assert.equal(r.code, 0, r.stderr);
  await decryptSigstorePrivateKey(readFileSync(`${prefix}.private`), 's3cret', 'b.private');
  const none = join(tmp, 'c');
  const n = await runCli(['generate-sigstore-key', '--output-prefix', none], { env: { COSIGN_PASSWORD: undefined } });
  assert.notEqual(n.code, 0);
  assert.deepEqual(errorLines(n.stderr), ['imgseal: Passphrase for the new sigstore private key is needed and there is no terminal to ask on: give --passphrase-file FILE or set COSIGN_PASSWORD']);
  assert.equal(existsSync(`${none}.private`) || existsSync(`${none}.pub`), false);
});

test('existing files are never replaced, and a refused run leaves neither file behind', async () => {
  const prefix = join(tmp, 'd');
  writeFileSync(`${prefix}.pub`, 'mine\n');
  const r = await runCli(['generate-sigstore-key', '--output-prefix', prefix], { env: { COSIGN_PASSWORD: 'x' } });
  assert.notEqual(r.code, 0);
  assert.deepEqual(errorLines(r.stderr), [`imgseal: ${prefix}.pub exists already; refusing to overwrite it`]);
  assert.equal(existsSync(`${prefix}.private`), false);
  assert.equal(readFileSync(`${prefix}.pub`, 'utf8'), 'mine\n');
  const m = await runCli(['generate-sigstore-key'], { env: { COSIGN_PASSWORD: 'x' } });
  assert.notEqual(m.code, 0);
  assert.deepEqual(errorLines(m.stderr), ['imgseal: --output-prefix PREFIX is required']);
});

test('on a terminal the passphrase is asked twice without echo; two different answers write nothing', async (t) => {
  if (!requireTool('script', t)) return;
  const prefix = join(tmp, 'tty');
  const ok = await onTerminal(['generate-sigstore-key', '--output-prefix', prefix], ['typed pass', 'typed pass']);
  assert.equal(ok.code, 0, ok.screen);
  assert.match(ok.screen, /Passphrase for the new sigstore private key: /);
  assert.match(ok.screen, /Enter the passphrase for the new sigstore private key again: /);
  assert.ok(!ok.screen.includes('typed pass'), `echoed: ${ok.screen}`);
  await decryptSigstorePrivateKey(readFileSync(`${prefix}.private`), 'typed pass', 'tty.private');
  const other = join(tmp, 'tty-differ');
  const bad = await onTerminal(['generate-sigstore-key', '--output-prefix', other], ['one', 'two']);
  assert.notEqual(bad.code, 0);
  assert.match(bad.screen, /imgseal: the two passphrases differ; nothing was written/);
  assert.equal(existsSync(`${other}.private`) || existsSync(`${other}.pub`), false);
});
