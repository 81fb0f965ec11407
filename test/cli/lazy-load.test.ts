// Issue 13 (memory): a scheme's library loads only when that scheme is used. The CLI
// runs under a module tracer (test/testkit/module-trace.ts) and the test reads which
// packages it loaded: a jwe encrypt/decrypt must not load any of the heavy ones, and a
// pgp / pkcs7 run must (so the tracer is seen to work, and the check can fail).
import assert from 'node:assert/strict';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, describe, test } from 'node:test';
import { FIXTURES, runCli } from '../testkit/cli.js';

const TRACER = new URL('../testkit/module-trace.js', import.meta.url).href;
const HEAVY = ['openpgp', '@grpc/grpc-js', 'pkcs11js', '@kubernetes/client-node', '@peculiar/x509', '@peculiar/asn1-schema', '@peculiar/asn1-cms', 'yaml', 'tar-stream', 'fzstd'];

const tmp = mkdtempSync(join(tmpdir(), 'imgseal-lazy-'));
after(() => rmSync(tmp, { recursive: true, force: true }));
const BASE = `oci:${join(FIXTURES, 'plain-base/image')}:base`;
const RSA = join(FIXTURES, 'jwe-rsa2048/keys');
let runs = 0;

/** Runs the CLI under the tracer; returns the URLs of the modules it loaded. */
async function modulesLoaded(args: string[]): Promise<string[]> {
  const trace = join(tmp, `trace-${++runs}`);
  const r = await runCli(args, { env: { NODE_OPTIONS: `--import=${TRACER}`, IMGSEAL_MODULE_TRACE: trace } });
  assert.equal(r.code, 0, r.stderr);
  const urls = readFileSync(trace, 'utf8').split('\n').filter(Boolean);
  assert.ok(urls.some((u) => u.includes('/dist/cli/main.js')), 'the tracer saw the CLI itself');
  return urls;
}

/** The packages (node_modules names) a CLI run loaded. */
async function packagesLoaded(args: string[]): Promise<Set<string>> {
  const urls = await modulesLoaded(args);
  const names = urls.map((u) => /\/node_modules\/((?:@[^/]+\/)?[^/]+)\//.exec(u)?.[1]).filter((n) => n !== undefined);
  return new Set(names);
}

function heavyIn(loaded: Set<string>): string[] {
  return HEAVY.filter((p) => loaded.has(p));
}

describe('heavy modules load on first use only', { concurrency: 1 }, () => {
  test('imgseal --version loads none of them', async () => {
    assert.deepEqual(heavyIn(await packagesLoaded(['--version'])), []);
  });

  test('imgseal --help (every command registered) loads none of them', async () => {
    assert.deepEqual(heavyIn(await packagesLoaded(['--help'])), []);
  });

  test('a jwe encrypt and decrypt (oci: → oci:) load none of them, and do load jose', async () => {
    const enc = await packagesLoaded(['encrypt', '-q', '--encryption-key', `jwe:${join(RSA, 'rsa1_pub.pem')}`, BASE, `oci:${join(tmp, 'enc')}:x`]);
    assert.deepEqual(heavyIn(enc), []);
    assert.ok(enc.has('jose'), 'jwe wrapping loaded jose');
    const dec = await packagesLoaded(['decrypt', '-q', '--decryption-key', join(RSA, 'rsa1_priv.pem'), `oci:${join(tmp, 'enc')}:x`, `oci:${join(tmp, 'dec')}:x`]);
    assert.deepEqual(heavyIn(dec), []);
    assert.ok(dec.has('jose'), 'jwe unwrapping loaded jose');
  });

  test('a pgp encrypt loads openpgp (and nothing of the other schemes)', async () => {
    const pgp = await packagesLoaded(['encrypt', '-q', '--encryption-key', `pgp:${join(FIXTURES, 'pgp/keys/pgp_pubring.gpg')}`, BASE, `oci:${join(tmp, 'pgp')}:x`]);
    assert.deepEqual(heavyIn(pgp), ['openpgp']);
  });

  test('a pkcs7 encrypt loads the @peculiar ASN.1 code', async () => {
    const cert = join(FIXTURES, 'pkcs7/keys/pkcs7_cert.pem');
    const p7 = await packagesLoaded(['encrypt', '-q', '--encryption-key', `pkcs7:${cert}`, BASE, `oci:${join(tmp, 'p7')}:x`]);
    assert.ok(heavyIn(p7).includes('@peculiar/asn1-cms'), [...p7].join(' '));
    assert.ok(!p7.has('openpgp'));
  });
});

// scripts/bundle.mjs: the CLI's own code runs from dist/cli (an entry plus the chunks
// esbuild splits the lazy imports into: ~40 for a copy), not from the ~200 modules of
// dist/src the same copy loads unbundled, which Node would resolve and compile on every
// start. Packages still come from node_modules (the checks above need that).
test('the CLI runs from its bundle: a copy loads no module of dist/src and a fraction as many files', async () => {
  const urls = await modulesLoaded(['copy', '-q', BASE, `oci:${join(tmp, 'bundled')}:x`]);
  const ours = [...new Set(urls)].filter((u) => u.startsWith('file:') && !u.includes('/node_modules/') && !u.includes('/dist/test/testkit/'));
  assert.deepEqual(ours.filter((u) => !u.includes('/dist/cli/')), [], 'only files of the bundle');
  assert.ok(ours.length >= 2 && ours.length <= 60, `${ours.length} bundle files loaded: ${ours.join(' ')}`);
});
