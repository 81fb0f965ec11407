// Issue 8 item 4 through the CLI: provider:NAME with the example provider in both
// forms (command and gRPC): encrypt → decrypt with --decryption-key provider:NAME and
// with no key at all (every provider annotation is tried, as ocicrypt); providers that
// exit non-zero, print garbage or hang past IMGSEAL_KEYPROVIDER_TIMEOUT give one line
// and write nothing.
import assert from 'node:assert/strict';
import { spawn, spawnSync, type ChildProcess } from 'node:child_process';
import { existsSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, test } from 'node:test';
import { runCli, REPO_ROOT } from '../testkit/cli.js';
import { buildLayout, type LayerSpec } from '../testkit/image-builder.js';
import { readImage } from '../testkit/image-reader.js';

const EXAMPLE = join(REPO_ROOT, 'examples/keyprovider/aes-keyprovider.mjs');
const BAD = join(REPO_ROOT, 'test/fixtures/keyprovider');
const LAYERS: LayerSpec[] = [
  { files: { 'base.txt': 'base\n' }, compression: 'gzip' },
  { files: { 'secret.txt': 'provider-wrapped secret\n' }, compression: 'none' },
];
const FILES = { 'base.txt': 'base\n', 'secret.txt': 'provider-wrapped secret\n' };

const tmp = mkdtempSync(join(tmpdir(), 'imgseal-kp-cli-'));
let n = 0;
const dir = (name: string): string => join(tmp, `${name}-${n++}`);
const key = join(tmp, 'aes.key');
let grpcServer: ChildProcess | undefined;
let grpcPort = 0;

function writeConfig(providers: Record<string, unknown>): string {
  const f = join(tmp, `kp-${n++}.json`);
  writeFileSync(f, JSON.stringify({ 'key-providers': providers }));
  return f;
}
const cmdProvider = { cmd: { path: process.execPath, args: [EXAMPLE, '--key', key] } };

before(async () => {
  const r = spawnSync(process.execPath, [EXAMPLE, '--generate-key', key], { encoding: 'utf8' });
  assert.equal(r.status, 0, r.stderr);
  grpcServer = spawn(process.execPath, [EXAMPLE, '--key', key, '--grpc', '127.0.0.1:0'], { stdio: ['ignore', 'pipe', 'inherit'] });
  grpcPort = await new Promise<number>((resolve, reject) => {
    grpcServer!.stdout!.once('data', (d) => resolve(Number(/listening (\d+)/.exec(String(d))?.[1])));
    grpcServer!.once('exit', (c) => reject(new Error(`example gRPC provider exited ${c}`)));
  });
});
after(() => {
  grpcServer?.kill('SIGTERM');
  rmSync(tmp, { recursive: true, force: true });
});

async function encrypted(config: string, name: string): Promise<string> {
  const src = dir('src');
  await buildLayout(src, LAYERS);
  const enc = dir('enc');
  const res = await runCli(['encrypt', '-q', '--encryption-key', `provider:${name}`, `oci:${src}:base`, `oci:${enc}:enc`], { env: { OCICRYPT_KEYPROVIDER_CONFIG: config } });
  assert.equal(res.code, 0, res.stderr);
  return enc;
}

function oneLine(stderr: string, re: RegExp): void {
  const lines = stderr.trim().split('\n');
  assert.equal(lines.length, 1, stderr);
  assert.match(lines[0]!, re);
  assert.ok(!/symkey|optsdata/.test(stderr), 'no protocol payload in the message');
}

describe('provider: with the example provider', () => {
  for (const form of ['command', 'gRPC'] as const) {
    test(`${form}: encrypt with provider:aes, then decrypt with provider:aes and with no key`, async () => {
      const config = writeConfig({ aes: form === 'command' ? cmdProvider : { grpc: `127.0.0.1:${grpcPort}` } });
      const env = { OCICRYPT_KEYPROVIDER_CONFIG: config };
      const enc = await encrypted(config, 'aes');
      const img = await readImage(enc, 'enc');
      for (const l of img.layers) {
        assert.match(l.desc.mediaType, /\+encrypted$/);
        assert.ok(l.desc.annotations?.['org.opencontainers.image.enc.keys.provider.aes']);
      }
      const info = await runCli(['layerinfo', '--json', `oci:${enc}:enc`], { env });
      assert.equal(info.code, 0, info.stderr);
      for (const row of JSON.parse(info.stdout) as { encryption: string[]; recipients: string[] }[]) {
        assert.deepEqual(row.encryption, ['provider.aes']);
        assert.deepEqual(row.recipients, ['[provider.aes]']);
      }
      for (const keys of [['--decryption-key', 'provider:aes'], []]) {
        const out = dir('dec');
        const res = await runCli(['decrypt', '-q', ...keys, `oci:${enc}:enc`, `oci:${out}:plain`], { env });
        assert.equal(res.code, 0, res.stderr);
        assert.deepEqual((await readImage(out, 'plain')).files, FILES);
      }
      // Without the config the provider annotation cannot be opened: one line, nothing written.
      const out = dir('dec');
      const res = await runCli(['decrypt', '-q', `oci:${enc}:enc`, `oci:${out}:plain`], { env: { OCICRYPT_KEYPROVIDER_CONFIG: '' } });
      assert.equal(res.code, 1);
      oneLine(res.stderr, /missing private key needed for decryption.*key provider aes is not configured/);
      assert.ok(!existsSync(out));
    });
  }

  test('an image made with the command form opens through the gRPC form (same protocol, same key)', async () => {
    const enc = await encrypted(writeConfig({ aes: cmdProvider }), 'aes');
    const out = dir('dec');
    const res = await runCli(['decrypt', '-q', `oci:${enc}:enc`, `oci:${out}:plain`], { env: { OCICRYPT_KEYPROVIDER_CONFIG: writeConfig({ aes: { grpc: `127.0.0.1:${grpcPort}` } }) } });
    assert.equal(res.code, 0, res.stderr);
    assert.deepEqual((await readImage(out, 'plain')).files, FILES);
  });

  test('encrypt: a provider that exits non-zero → one line with its stderr, nothing written', async () => {
    const src = dir('src');
    await buildLayout(src, LAYERS);
    const enc = dir('enc');
    const res = await runCli(['encrypt', '-q', '--encryption-key', 'provider:bad', `oci:${src}:base`, `oci:${enc}:enc`], { env: { OCICRYPT_KEYPROVIDER_CONFIG: writeConfig({ bad: { cmd: { path: join(BAD, 'exit-nonzero.sh') } } }) } });
    assert.equal(res.code, 1);
    oneLine(res.stderr, /^imgseal: .*key provider bad: .*exit-nonzero\.sh failed \(exit status 3\): stderr: kms: permission denied/);
    assert.ok(!existsSync(enc));
  });

  test('decrypt: a provider that prints garbage → one line, nothing written', async () => {
    const enc = await encrypted(writeConfig({ aes: cmdProvider }), 'aes');
    const out = dir('dec');
    const res = await runCli(['decrypt', '-q', '--decryption-key', 'provider:aes', `oci:${enc}:enc`, `oci:${out}:plain`], { env: { OCICRYPT_KEYPROVIDER_CONFIG: writeConfig({ aes: { cmd: { path: join(BAD, 'garbage.sh') } } }) } });
    assert.equal(res.code, 1);
    oneLine(res.stderr, /key provider aes: answer is not keyprovider protocol JSON \(not JSON\)/);
    assert.ok(!existsSync(out));
  });

  test('decrypt: a provider that hangs past IMGSEAL_KEYPROVIDER_TIMEOUT → one line, nothing written', async () => {
    const enc = await encrypted(writeConfig({ aes: cmdProvider }), 'aes');
    const out = dir('dec');
    const t0 = Date.now();
    const res = await runCli(['decrypt', '-q', `oci:${enc}:enc`, `oci:${out}:plain`], {
      env: { OCICRYPT_KEYPROVIDER_CONFIG: writeConfig({ aes: { cmd: { path: join(BAD, 'hang.sh') } } }), IMGSEAL_KEYPROVIDER_TIMEOUT: '1' },
    });
    assert.equal(res.code, 1);
    oneLine(res.stderr, /key provider aes: no answer within 1 s \(killed\)/);
    assert.ok(Date.now() - t0 < 20_000);
    assert.ok(!existsSync(out));
  });

  test('a broken config file → one line naming the file and the field', async () => {
    const bad = join(tmp, 'broken.json');
    writeFileSync(bad, '{"key-providers":{"aes":{"path":"/bin/kp"}}}');
    const res = await runCli(['decrypt', '-q', '--decryption-key', 'provider:aes', `oci:${tmp}/none:x`, `oci:${dir('o')}:x`], { env: { OCICRYPT_KEYPROVIDER_CONFIG: bad } });
    assert.notEqual(res.code, 0);
    oneLine(res.stderr, /broken\.json: unknown field "key-providers\.aes\.path"/);
  });

  test('provider:NAME that is not configured → one line', async () => {
    const src = dir('src');
    await buildLayout(src, LAYERS);
    const res = await runCli(['encrypt', '-q', '--encryption-key', 'provider:nope', `oci:${src}:base`, `oci:${dir('enc')}:enc`], { env: { OCICRYPT_KEYPROVIDER_CONFIG: writeConfig({ aes: cmdProvider }) } });
    assert.equal(res.code, 2);
    oneLine(res.stderr, /key provider nope is not configured in .*kp-\d+\.json/);
  });
});
