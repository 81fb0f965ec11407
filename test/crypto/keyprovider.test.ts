// Key providers: the strict config parser, the exact protocol bytes, both
// transports against the example provider, and providers that fail, answer
// garbage or hang past the deadline.
import assert from 'node:assert/strict';
import { spawn, spawnSync, type ChildProcess } from 'node:child_process';
import { mkdirSync, mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, test } from 'node:test';
import * as grpc from '@grpc/grpc-js';
import { providerUnwrap, providerWrap, type KeyProviderOptions } from '../../src/crypto/wrap/provider/client.js';
import { loadKeyProviderConfig, parseKeyProviderConfig, type KeyProviders } from '../../src/crypto/wrap/provider/config.js';
import { decodeBytesField1, encodeBytesField1, keyProviderServiceDefinition } from '../../src/crypto/wrap/provider/grpc.js';
import { keyUnwrapRequest, keyWrapRequest, parseKeyUnwrapAnswer, parseKeyWrapAnswer } from '../../src/crypto/wrap/provider/protocol.js';
import { isImgsealError } from '../../src/errors.js';
import { repoRoot } from '../testkit/peers.js';
import * as x509 from '@peculiar/x509';
import { webcrypto } from 'node:crypto';

const ROOT = repoRoot();
const EXAMPLE = join(ROOT, 'examples/keyprovider/aes-keyprovider.mjs');
const BAD = join(ROOT, 'test/fixtures/keyprovider');
const tmp = mkdtempSync(join(tmpdir(), 'imgseal-kp-'));
after(() => rmSync(tmp, { recursive: true, force: true }));

const PRIV = Buffer.from('{"symkey":"GDMhXX59gLgB08/kJ5CtcPxhOnZ4KilopnaUQrzaAko=","digest":"sha256:678530c823badb59ed7635a7bb5822f498e8037f8a341b339c71e01979f245f9","cipheroptions":{"nonce":"ku8i4Nm5EyfPVVDHItaeMw=="}}');

function keyFile(name: string): string {
  const p = join(tmp, name);
  const r = spawnSync(process.execPath, [EXAMPLE, '--generate-key', p], { encoding: 'utf8' });
  assert.equal(r.status, 0, r.stderr);
  return p;
}

function config(providers: Record<string, unknown>): KeyProviders {
  return parseKeyProviderConfig(JSON.stringify({ 'key-providers': providers }), 'kp.json');
}

const cmd = (path: string, args: string[] = []): unknown => ({ cmd: { path, args } });

function rejectsWith(code: string, re: RegExp): (e: unknown) => boolean {
  return (e: unknown) => {
    assert.ok(isImgsealError(e), String(e));
    assert.equal(e.code, code, e.message);
    assert.match(e.message, re);
    assert.ok(!e.message.includes('\n'), `one line: ${e.message}`);
    assert.ok(!e.message.includes(PRIV.toString('base64')) && !e.message.includes('symkey'), 'no secret in the message');
    return true;
  };
}

describe('key-provider config', () => {
  test('cmd and grpc providers, with grpc-tls', () => {
    const c = parseKeyProviderConfig(
      JSON.stringify({
        'key-providers': {
          a: { cmd: { path: '/usr/bin/kp', args: ['--x'] } },
          b: { cmd: { path: '/usr/bin/kp2' } },
          'c.d_e-1': { grpc: 'unix:///run/kp.sock', 'grpc-tls': { 'root-ca-file': 'ca.pem', 'cert-file': 'c.pem', 'key-file': 'k.pem', 'server-name': 'kp', 'insecure-skip-verify': false } },
        },
      }),
      'kp.json',
    );
    assert.deepEqual(c, {
      a: { cmd: { path: '/usr/bin/kp', args: ['--x'] } },
      b: { cmd: { path: '/usr/bin/kp2', args: [] } },
      'c.d_e-1': {
        grpc: 'unix:///run/kp.sock',
        grpcTls: { rootCaFile: 'ca.pem', certFile: 'c.pem', keyFile: 'k.pem', serverName: 'kp', insecureSkipVerify: false },
      },
    });
  });

  const BAD_CONFIGS: [string, string, RegExp][] = [
    ['unknown top-level field', '{"key-providers":{},"keyproviders":{}}', /unknown field "keyproviders"/],
    ['path directly under the provider (ocicrypt docs)', '{"key-providers":{"a":{"path":"/bin/kp"}}}', /unknown field "key-providers\.a\.path" \(put it inside "cmd"/],
    ['duplicate provider', '{"key-providers":{"a":{"grpc":"x:1"},"a":{"grpc":"y:1"}}}', /duplicate key "key-providers\.a"/],
    ['duplicate field', '{"key-providers":{"a":{"cmd":{"path":"/x","path":"/y"}}}}', /duplicate key "key-providers\.a\.cmd\.path"/],
    ['both cmd and grpc', '{"key-providers":{"a":{"cmd":{"path":"/x"},"grpc":"h:1"}}}', /both "cmd" and "grpc"/],
    ['neither', '{"key-providers":{"a":{}}}', /needs "cmd" or "grpc"/],
    ['args not strings', '{"key-providers":{"a":{"cmd":{"path":"/x","args":[1]}}}}', /"key-providers\.a\.cmd\.args" must be an array of strings/],
    ['unknown cmd field', '{"key-providers":{"a":{"cmd":{"path":"/x","env":[]}}}}', /unknown field "key-providers\.a\.cmd\.env"/],
    ['unknown grpc-tls field', '{"key-providers":{"a":{"grpc":"h:1","grpc-tls":{"ca":"x"}}}}', /unknown field "key-providers\.a\.grpc-tls\.ca"/],
    ['cert without key', '{"key-providers":{"a":{"grpc":"h:1","grpc-tls":{"cert-file":"c"}}}}', /go together/],
    ['bad name', '{"key-providers":{"a:b":{"grpc":"h:1"}}}', /provider name "a:b" is not allowed/],
    ['not JSON', '{"key-providers":', /invalid JSON: unexpected end of JSON at line 1/],
    ['missing key-providers', '{}', /missing field "key-providers"/],
  ];
  for (const [what, text, re] of BAD_CONFIGS) {
    test(`refused: ${what}`, () => {
      assert.throws(() => parseKeyProviderConfig(text, '/etc/kp.json'), (e: unknown) => {
        assert.ok(isImgsealError(e, 'INVALID_CONFIG'));
        assert.ok(e.message.startsWith('/etc/kp.json: '), e.message);
        assert.match(e.message, re);
        return true;
      });
    });
  }

  test('OCICRYPT_KEYPROVIDER_CONFIG: unset → no providers; a missing file → an error naming it', async () => {
    assert.equal(await loadKeyProviderConfig({}), undefined);
    await assert.rejects(loadKeyProviderConfig({ OCICRYPT_KEYPROVIDER_CONFIG: join(tmp, 'none.json') }), rejectsWith('INVALID_CONFIG', /none\.json: cannot read the key-provider config: no such file/));
    const f = join(tmp, 'kp.json');
    writeFileSync(f, JSON.stringify({ 'key-providers': { x: { grpc: '127.0.0.1:1' } } }));
    assert.deepEqual(await loadKeyProviderConfig({ OCICRYPT_KEYPROVIDER_CONFIG: f }), { x: { grpc: '127.0.0.1:1' } });
  });
});

describe('keyprovider protocol', () => {
  test('the wrap request, byte for byte as ocicrypt marshals it, with only this provider\'s parameters', () => {
    assert.equal(
      keyWrapRequest('aes', [Buffer.from('Enabled')], Buffer.from('{"a":1}')).toString(),
      '{"op":"keywrap","keywrapparams":{"ec":{"Parameters":{"aes":["RW5hYmxlZA=="]},"DecryptConfig":{"Parameters":{}}},"optsdata":"eyJhIjoxfQ=="},"keyunwrapparams":{"dc":null,"annotation":null}}',
    );
  });

  test('the unwrap request, with and without parameters', () => {
    assert.equal(
      keyUnwrapRequest('aes', [Buffer.from('k1')], Buffer.from('xyz')).toString(),
      '{"op":"keyunwrap","keywrapparams":{"ec":null,"optsdata":null},"keyunwrapparams":{"dc":{"Parameters":{"aes":["azE="]}},"annotation":"eHl6"}}',
    );
    assert.equal(
      keyUnwrapRequest('aes', [], Buffer.from('xyz')).toString(),
      '{"op":"keyunwrap","keywrapparams":{"ec":null,"optsdata":null},"keyunwrapparams":{"dc":{"Parameters":{}},"annotation":"eHl6"}}',
    );
  });

  test('answers: good, empty optsdata (not mine), garbage', () => {
    assert.equal(parseKeyWrapAnswer(Buffer.from('{"keywrapresults":{"annotation":"eHl6"}}'), 'p').toString(), 'xyz');
    assert.equal(parseKeyUnwrapAnswer(Buffer.from('{"keyunwrapresults":{"optsdata":"eHl6"}}'), 'p')?.toString(), 'xyz');
    assert.equal(parseKeyUnwrapAnswer(Buffer.from('{"keyunwrapresults":{"optsdata":null}}'), 'p'), undefined);
    assert.equal(parseKeyUnwrapAnswer(Buffer.from('{"keyunwrapresults":{}}'), 'p'), undefined);
    assert.throws(() => parseKeyWrapAnswer(Buffer.from('{"keywrapresults":{"annotation":""}}'), 'p'), /empty "keywrapresults.annotation"/);
    assert.throws(() => parseKeyWrapAnswer(Buffer.from('{"keywrapresults":{"annotation":"!!"}}'), 'p'), /not standard base64/);
    assert.throws(() => parseKeyWrapAnswer(Buffer.from(''), 'p'), /empty output/);
    assert.throws(() => parseKeyUnwrapAnswer(Buffer.from('[1]'), 'p'), /not a JSON object/);
  });

  test('protobuf one-field messages: round trip, long lengths, unknown fields skipped', () => {
    for (const n of [0, 1, 127, 128, 300, 70000]) {
      const b = Buffer.alloc(n, 7);
      assert.deepEqual(decodeBytesField1(encodeBytesField1(b)), b);
    }
    assert.deepEqual([...encodeBytesField1(Buffer.from('hi'))], [0x0a, 2, 0x68, 0x69]);
    // field 2 varint 5, then field 1 "ok"
    assert.equal(decodeBytesField1(Buffer.from([0x10, 5, 0x0a, 2, 0x6f, 0x6b])).toString(), 'ok');
    assert.throws(() => decodeBytesField1(Buffer.from([0x0a, 9, 1])), /truncated/);
  });
});

describe('command key provider (example provider)', () => {
  test('wrap → unwrap round trip; another key answers "not mine"', async () => {
    const opts: KeyProviderOptions = { providers: config({ aes: cmd(process.execPath, [EXAMPLE, '--key', keyFile('k-cmd')]), other: cmd(process.execPath, [EXAMPLE, '--key', keyFile('k-other')]) }) };
    const entry = await providerWrap('aes', [Buffer.from('Enabled')], PRIV, opts);
    assert.equal(JSON.parse(entry.toString()).wrap_type, 'A256GCM');
    assert.ok(!entry.includes(PRIV));
    assert.deepEqual(await providerUnwrap('aes', [], entry, opts), PRIV);
    assert.equal(await providerUnwrap('other', [], entry, opts), undefined);
    assert.equal(await providerUnwrap('unconfigured', [], entry, opts), undefined);
  });

  test('the provider gets exactly its own parameters', async () => {
    const dir = join(tmp, 'rec');
    mkdirSync(dir);
    const opts: KeyProviderOptions = { providers: config({ rec: cmd(join(BAD, 'record.sh'), ['--key', keyFile('k-rec')]) }), env: { ...process.env, RECORD_DIR: dir } };
    const entry = await providerWrap('rec', [Buffer.from('tenant=a')], PRIV, opts);
    await providerUnwrap('rec', [Buffer.from('tenant=a')], entry, opts);
    const reqs = readdirSync(dir).sort().map((f) => JSON.parse(readFileSync(join(dir, f), 'utf8')));
    assert.deepEqual(reqs[0].keywrapparams.ec, { Parameters: { rec: [Buffer.from('tenant=a').toString('base64')] }, DecryptConfig: { Parameters: {} } });
    assert.deepEqual(reqs[1].keyunwrapparams.dc, { Parameters: { rec: [Buffer.from('tenant=a').toString('base64')] } });
  });

  test('exits non-zero → one line with its stderr', async () => {
    const opts: KeyProviderOptions = { providers: config({ bad: cmd(join(BAD, 'exit-nonzero.sh')) }) };
    await assert.rejects(providerWrap('bad', [], PRIV, opts), rejectsWith('KEY_PROVIDER_ERROR', /^key provider bad: .*exit-nonzero\.sh failed \(exit status 3\): stderr: kms: permission denied/));
    await assert.rejects(providerUnwrap('bad', [], Buffer.from('x'), opts), rejectsWith('KEY_PROVIDER_ERROR', /exit status 3/));
  });

  test('prints garbage → one line', async () => {
    const opts: KeyProviderOptions = { providers: config({ junk: cmd(join(BAD, 'garbage.sh')) }) };
    await assert.rejects(providerWrap('junk', [], PRIV, opts), rejectsWith('KEY_PROVIDER_ERROR', /^key provider junk: answer is not keyprovider protocol JSON \(not JSON\)/));
  });

  test('hangs → killed at the deadline, one line', async () => {
    const opts: KeyProviderOptions = { providers: config({ slow: cmd(join(BAD, 'hang.sh')) }), timeoutMs: 700 };
    const t0 = Date.now();
    await assert.rejects(providerWrap('slow', [], PRIV, opts), rejectsWith('KEY_PROVIDER_ERROR', /^key provider slow: no answer within 0\.7 s \(killed\)$/));
    assert.ok(Date.now() - t0 < 5000);
  });

  test('a program that does not exist → one line', async () => {
    const opts: KeyProviderOptions = { providers: config({ none: cmd(join(tmp, 'no-such-provider')) }) };
    await assert.rejects(providerWrap('none', [], PRIV, opts), rejectsWith('KEY_PROVIDER_ERROR', /cannot run .*no-such-provider: no such file/));
  });

  test('wrapping with an unconfigured provider → one line naming the config', async () => {
    await assert.rejects(providerWrap('nope', [], PRIV, { providers: config({}), source: 'kp.json' }), rejectsWith('INVALID_RECIPIENT', /key provider nope is not configured in kp\.json/));
    // Names are looked up as own properties only.
    await assert.rejects(providerWrap('constructor', [], PRIV, { providers: config({}) }), rejectsWith('INVALID_RECIPIENT', /key provider constructor is not configured \(OCICRYPT_KEYPROVIDER_CONFIG is not set\)/));
  });
});

async function selfSignedCert(dns: string, certFile: string, keyFile: string): Promise<void> {
  const alg = { name: 'ECDSA', namedCurve: 'P-256', hash: 'SHA-256' };
  const keys = await webcrypto.subtle.generateKey(alg, true, ['sign', 'verify']);
  const cert = await x509.X509CertificateGenerator.createSelfSigned(
    {
      name: `CN=${dns}`,
      notBefore: new Date(Date.now() - 60_000),
      notAfter: new Date(Date.now() + 86_400_000),
      keys,
      signingAlgorithm: alg,
      extensions: [new x509.SubjectAlternativeNameExtension([{ type: 'dns', value: dns }])],
    },
    webcrypto as unknown as Parameters<typeof x509.X509CertificateGenerator.createSelfSigned>[1],
  );
  writeFileSync(certFile, cert.toString('pem'));
  const pkcs8 = Buffer.from(await webcrypto.subtle.exportKey('pkcs8', keys.privateKey));
  writeFileSync(keyFile, `-----BEGIN PRIVATE KEY-----\n${pkcs8.toString('base64').replace(/(.{64})/g, '$1\n')}\n-----END PRIVATE KEY-----\n`, { mode: 0o600 });
}

function startExampleGrpc(args: string[]): Promise<{ child: ChildProcess; port: number }> {
  return new Promise((resolve, reject) => {
    const child = spawn(process.execPath, [EXAMPLE, ...args], { stdio: ['ignore', 'pipe', 'pipe'] });
    let err = '';
    child.stderr!.on('data', (d) => (err += String(d)));
    child.stdout!.once('data', (d) => {
      const m = /listening (\d+)/.exec(String(d));
      if (m) resolve({ child, port: Number(m[1]) });
      else reject(new Error(`unexpected: ${String(d)}`));
    });
    child.once('exit', (code) => reject(new Error(`example provider exited ${code}: ${err}`)));
  });
}

describe('gRPC key provider (example provider)', () => {
  let server: { child: ChildProcess; port: number };
  before(async () => {
    server = await startExampleGrpc(['--key', keyFile('k-grpc'), '--grpc', '127.0.0.1:0']);
  });
  after(() => {
    server?.child.kill('SIGTERM');
  });

  test('wrap → unwrap round trip over plaintext gRPC', async () => {
    const opts: KeyProviderOptions = { providers: config({ g: { grpc: `127.0.0.1:${server.port}` } }) };
    const entry = await providerWrap('g', [Buffer.from('Enabled')], PRIV, opts);
    assert.deepEqual(await providerUnwrap('g', [], entry, opts), PRIV);
  });

  test('a unix socket address (unix:///path), as CoCo providers use', async () => {
    const sock = join(tmp, 'kp.sock');
    const unix = await startExampleGrpc(['--key', keyFile('k-unix'), '--grpc', `unix://${sock}`]);
    try {
      const opts: KeyProviderOptions = { providers: config({ u: { grpc: `unix://${sock}` } }) };
      const entry = await providerWrap('u', [], PRIV, opts);
      assert.deepEqual(await providerUnwrap('u', [], entry, opts), PRIV);
    } finally {
      unix.child.kill('SIGTERM');
    }
  });

  test('nobody listening → one line', async () => {
    const opts: KeyProviderOptions = { providers: config({ g: { grpc: '127.0.0.1:1' } }), timeoutMs: 3000 };
    await assert.rejects(providerWrap('g', [], PRIV, opts), rejectsWith('KEY_PROVIDER_ERROR', /^key provider g: WrapKey: (cannot reach 127\.0\.0\.1:1|no answer within)/));
  });

  test('a server that never answers → deadline, one line', async () => {
    const hang = new grpc.Server();
    hang.addService(keyProviderServiceDefinition, { WrapKey: () => {}, UnWrapKey: () => {} });
    const port = await new Promise<number>((res, rej) => hang.bindAsync('127.0.0.1:0', grpc.ServerCredentials.createInsecure(), (e, p) => (e ? rej(e) : res(p))));
    try {
      const opts: KeyProviderOptions = { providers: config({ h: { grpc: `127.0.0.1:${port}` } }), timeoutMs: 800 };
      await assert.rejects(providerUnwrap('h', [], Buffer.from('x'), opts), rejectsWith('KEY_PROVIDER_ERROR', /^key provider h: UnWrapKey: no answer within 0\.8 s$/));
    } finally {
      hang.forceShutdown();
    }
  });

  test('gRPC server errors and garbage answers → one line', async () => {
    const opts: KeyProviderOptions = { providers: config({ g: { grpc: `127.0.0.1:${server.port}` } }) };
    // The example provider rejects an annotation that is not its JSON.
    await assert.rejects(providerUnwrap('g', [], Buffer.from('not json'), opts), rejectsWith('KEY_PROVIDER_ERROR', /^key provider g: UnWrapKey: INVALID_ARGUMENT: /));
  });

  test('grpc-tls: verified with root-ca-file and server-name; an unknown CA is refused', async () => {
    const cert = join(tmp, 'kp-cert.pem');
    const key = join(tmp, 'kp-key.pem');
    await selfSignedCert('kp.test', cert, key);
    const tls = await startExampleGrpc(['--key', keyFile('k-tls'), '--grpc', '127.0.0.1:0', '--tls-cert', cert, '--tls-key', key]);
    try {
      const good: KeyProviderOptions = { providers: config({ s: { grpc: `127.0.0.1:${tls.port}`, 'grpc-tls': { 'root-ca-file': cert, 'server-name': 'kp.test' } } }) };
      const entry = await providerWrap('s', [], PRIV, good);
      assert.deepEqual(await providerUnwrap('s', [], entry, good), PRIV);
      const skip: KeyProviderOptions = { providers: config({ s: { grpc: `127.0.0.1:${tls.port}`, 'grpc-tls': { 'insecure-skip-verify': true } } }) };
      assert.deepEqual(await providerUnwrap('s', [], entry, skip), PRIV);
      const untrusted: KeyProviderOptions = { providers: config({ s: { grpc: `127.0.0.1:${tls.port}`, 'grpc-tls': { 'server-name': 'kp.test' } } }), timeoutMs: 3000 };
      await assert.rejects(providerWrap('s', [], PRIV, untrusted), rejectsWith('KEY_PROVIDER_ERROR', /^key provider s: WrapKey: /));
    } finally {
      tls.child.kill('SIGTERM');
    }
  });
});
