// `imgseal kms wrap|unwrap --pkcs11-config` on a real SoftHSM 2 token, with AES keys
// made by OpenSC's pkcs11-tool (CKM_AES_GCM on the token).
import assert from 'node:assert/strict';
import { existsSync, lstatSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, test } from 'node:test';
import { FIXTURES, runCli } from '../testkit/cli.js';
import { addAesKey, useSoftHsmToken, type SoftHsmToken } from '../testkit/softhsm.js';

const hsm = useSoftHsmToken();
const work = mkdtempSync(join(tmpdir(), 'imgseal-kms-p11-'));
const KEY = join(FIXTURES, 'jwe-rsa2048/keys/rsa1_priv.pem');
const PIN_ENV = 'IMGSEAL_TEST_PKCS11_PIN';

after(() => rmSync(work, { recursive: true, force: true }));

function config(t: SoftHsmToken, extra: Record<string, unknown> = {}): string {
  const file = join(work, `p11-${Math.random().toString(16).slice(2)}.json`);
  writeFileSync(file, JSON.stringify({ 'module-path': t.module, 'token-label': t.tokenLabel, 'key-label': 'node-kek', 'pin-env': PIN_ENV, 'module-env': { SOFTHSM2_CONF: t.softhsmConf }, ...extra }));
  return file;
}

function env(t: SoftHsmToken, pin = t.pin): Record<string, string> {
  return { OCICRYPT_CONFIG: t.ocicryptConfig, [PIN_ENV]: pin };
}

type Envelope = Record<string, string | number>;
const decode = (text: string): Envelope => JSON.parse(Buffer.from(text, 'base64').toString('utf8')) as Envelope;
const encode = (o: Envelope): string => Buffer.from(JSON.stringify(o)).toString('base64');

function assertOneLine(r: { code: number | null; stdout: string; stderr: string }, want: RegExp, t: SoftHsmToken, out: string): void {
  assert.notEqual(r.code, 0, r.stdout);
  assert.equal(r.stderr.trim().split('\n').length, 1, r.stderr);
  assert.match(r.stderr, want);
  assert.ok(!existsSync(out), `${out} must not be written`);
  assert.doesNotMatch(r.stdout + r.stderr, new RegExp(`${t.pin}|PRIVATE KEY`));
}

describe('imgseal kms with a PKCS#11 token (SoftHSM)', () => {
  // Runs after the token is made (the root hook); without a token every test skips
  // through hsm.get(t), and under CI=true that hook fails.
  before(async () => {
    const token = hsm.made();
    if (!token) return;
    await addAesKey(token, 'node-kek', '0a');
    await addAesKey(token, 'other-kek', '0b');
  }, { timeout: 120_000 });

  test('wrap → an envelope naming token and key; unwrap → the key file again, 0600', async (t) => {
    const tk = hsm.get(t);
    if (!tk) return;
    const cfg = config(tk);
    const wrapped = join(work, 'key.wrapped');
    const w = await runCli(['kms', 'wrap', '--pkcs11-config', cfg, KEY, wrapped], { env: env(tk) });
    assert.equal(w.code, 0, w.stderr);
    const text = readFileSync(wrapped, 'utf8');
    const e = decode(text);
    assert.deepEqual(Object.keys(e), ['kms', 'version', 'token', 'key-label', 'key-id', 'mechanism', 'iv', 'ciphertext']);
    assert.deepEqual([e.kms, e.version, e.token, e['key-label'], e['key-id'], e.mechanism], ['pkcs11', 1, tk.tokenLabel, 'node-kek', '0a', 'CKM_AES_GCM']);
    // GCM: the key file's length plus a 16-byte tag, and not the key file in clear.
    const ct = Buffer.from(e.ciphertext as string, 'base64');
    assert.equal(ct.length, readFileSync(KEY).length + 16);
    assert.ok(!ct.includes(readFileSync(KEY).subarray(0, 27)));
    // Unwrap needs no key name: the envelope has it (the config's key-label points elsewhere).
    const out = join(work, 'key.pem');
    const u = await runCli(['kms', 'unwrap', '--pkcs11-config', config(tk, { 'key-label': 'other-kek' }), wrapped, out], { env: env(tk) });
    assert.equal(u.code, 0, u.stderr);
    assert.deepEqual(readFileSync(out), readFileSync(KEY));
    assert.equal(lstatSync(out).mode & 0o777, 0o600);
    assert.ok(lstatSync(out).isFile());
    assert.doesNotMatch(w.stdout + w.stderr + u.stdout + u.stderr, new RegExp(`${tk.pin}|PRIVATE KEY`));
    // The key by id and a PIN file work the same; two wraps of one key differ (fresh IV).
    const pinFile = join(work, 'pin');
    writeFileSync(pinFile, `${tk.pin}\n`, { mode: 0o600 });
    const byId = join(work, 'key.byid');
    const w2 = await runCli(['kms', 'wrap', '--pkcs11-config', config(tk, { 'key-label': undefined, 'pin-env': undefined, 'pin-file': pinFile }), '--key-id', '0A', KEY, byId], { env: { OCICRYPT_CONFIG: tk.ocicryptConfig } });
    assert.equal(w2.code, 0, w2.stderr);
    assert.equal(decode(readFileSync(byId, 'utf8'))['key-label'], 'node-kek');
    assert.notEqual(readFileSync(byId, 'utf8'), text);
  });

  test('wrong PIN, wrong key label, no PIN, module not allowed: one line, no key file, no PIN printed', async (t) => {
    const tk = hsm.get(t);
    if (!tk) return;
    const wrapped = join(work, 'good.wrapped');
    assert.equal((await runCli(['kms', 'wrap', '--pkcs11-config', config(tk), KEY, wrapped], { env: env(tk) })).code, 0);
    const out = join(work, 'never.pem');
    const wrongPin = await runCli(['kms', 'unwrap', '--pkcs11-config', config(tk), wrapped, out], { env: env(tk, '987654') });
    assertOneLine(wrongPin, /the token peer-token refused the PIN \(CKR_PIN_INCORRECT/, tk, out);
    assert.doesNotMatch(wrongPin.stderr, /987654/);
    const wrongLabel = await runCli(['kms', 'wrap', '--pkcs11-config', config(tk), '--key-label', 'no-such-kek', KEY, out], { env: env(tk) });
    assertOneLine(wrongLabel, /no secret key with label 'no-such-kek' on the token/, tk, out);
    const noPin = await runCli(['kms', 'wrap', '--pkcs11-config', config(tk), KEY, out], { env: { OCICRYPT_CONFIG: tk.ocicryptConfig, [PIN_ENV]: '' } });
    assertOneLine(noPin, new RegExp(`the PIN variable ${PIN_ENV} \\(pin-env\\) is not set`), tk, out);
    const policy = join(work, 'policy.yaml');
    writeFileSync(policy, 'pkcs11:\n  module-directories: []\n  allowed-module-paths: [/usr/lib/pkcs11/]\n');
    const notAllowed = await runCli(['kms', 'unwrap', '--pkcs11-config', config(tk), wrapped, out], { env: { ...env(tk), OCICRYPT_CONFIG: policy } });
    assertOneLine(notAllowed, /module-path '\/usr\/lib\/softhsm\/libsofthsm2.so' is not allowed by policy/, tk, out);
  });

  test('an altered ciphertext, IV or key name fails the tag: one line, no key file', async (t) => {
    const tk = hsm.get(t);
    if (!tk) return;
    const wrapped = join(work, 'orig.wrapped');
    assert.equal((await runCli(['kms', 'wrap', '--pkcs11-config', config(tk), KEY, wrapped], { env: env(tk) })).code, 0);
    const e = decode(readFileSync(wrapped, 'utf8'));
    const flip = (b64: string, i: number): string => {
      const b = Buffer.from(b64, 'base64');
      b[i] = (b[i] as number) ^ 1;
      return b.toString('base64');
    };
    const cases: [string, Envelope, RegExp][] = [
      ['ciphertext', { ...e, ciphertext: flip(e.ciphertext as string, 100) }, /does not verify with key 'node-kek' \(id 0a\) on token peer-token/],
      ['tag', { ...e, ciphertext: flip(e.ciphertext as string, Buffer.from(e.ciphertext as string, 'base64').length - 1) }, /does not verify/],
      ['iv', { ...e, iv: flip(e.iv as string, 0) }, /does not verify/],
      // Another AES key on the same token, named in the envelope: the key and the AAD differ.
      ['key name', { ...e, 'key-label': 'other-kek', 'key-id': '0b' }, /does not verify with key 'other-kek' \(id 0b\)/],
      ['unknown field', { ...e, extra: 'x' }, /invalid PKCS#11 wrapped key: unknown field "extra"/],
      ['version', { ...e, version: 2 }, /version 2, this imgseal reads version 1/],
    ];
    for (const [what, envelope, want] of cases) {
      const bad = join(work, `bad-${what.replace(/ /g, '-')}.wrapped`);
      writeFileSync(bad, encode(envelope));
      const out = join(work, 'never.pem');
      const r = await runCli(['kms', 'unwrap', '--pkcs11-config', config(tk), bad, out], { env: env(tk) });
      assertOneLine(r, want, tk, out);
    }
  });

  test('config files are strict; a Key Protect ciphertext needs the Key Protect config', async (t) => {
    const tk = hsm.get(t);
    if (!tk) return;
    const out = join(work, 'never.out');
    const cases: [string, RegExp][] = [
      [config(tk, { 'key-lable': 'x' }), /unknown field "key-lable" \(allowed: module-path/],
      [config(tk, { 'pin-file': '/x' }), /"pin-file" and "pin-env" exclude each other/],
      [config(tk, { 'module-path': 'libsofthsm2.so' }), /"module-path" must be an absolute path/],
      [config(tk, { 'slot-id': 0 }), /"token-label" and "slot-id" exclude each other/],
    ];
    for (const [cfg, want] of cases) assertOneLine(await runCli(['kms', 'wrap', '--pkcs11-config', cfg, KEY, out], { env: env(tk) }), want, tk, out);
    const dup = join(work, 'dup.json');
    writeFileSync(dup, readFileSync(config(tk), 'utf8').replace('{', '{"key-label":"a",'));
    assertOneLine(await runCli(['kms', 'wrap', '--pkcs11-config', dup, KEY, out], { env: env(tk) }), /duplicate key/, tk, out);
    const kpCiphertext = join(work, 'kp.ct');
    writeFileSync(kpCiphertext, Buffer.from(JSON.stringify({ ciphertext: 'AAAA', iv: 'AAAA', version: '4.0.0', handle: 'root' })).toString('base64'));
    const r = await runCli(['kms', 'unwrap', '--pkcs11-config', config(tk), kpCiphertext, out], { env: env(tk) });
    assertOneLine(r, /wrapped by Key Protect; unwrapping it needs the Key Protect configuration/, tk, out);
    assertOneLine(await runCli(['kms', 'wrap', '--pkcs11-config', config(tk), '--root-key-id', 'r', KEY, out], { env: env(tk) }), /--root-key-id goes with --keyprotect-config/, tk, out);
  });
});
