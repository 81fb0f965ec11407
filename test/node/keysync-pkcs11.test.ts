// `imgseal keysync --pkcs11-config`: kp-key Secrets whose entries a SoftHSM 2 token's
// AES key wrapped (`imgseal kms wrap --pkcs11-config`), from a mounted Secret volume and
// from the Kubernetes API stand-in; one Secret may mix Key Protect (stand-in) and
// PKCS#11 entries, each goes to the back end that wrapped it.
import assert from 'node:assert/strict';
import { lstatSync, mkdirSync, mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, test } from 'node:test';
import { FIXTURES, runCli } from '../testkit/cli.js';
import { KeyProtectStandin } from '../testkit/keyprotect-standin.js';
import { KubeStandin } from '../testkit/kube-standin.js';
import { addAesKey, useSoftHsmToken, type SoftHsmToken } from '../testkit/softhsm.js';
import { writeSecretVolume } from './keysync-helpers.js';

const NS = 'image-key-synchronizer';
const RSA = readFileSync(join(FIXTURES, 'jwe-rsa2048/keys/rsa1_priv.pem'));
const EC = readFileSync(join(FIXTURES, 'jwe-ec-p256/keys/ec_p256_priv.pem'));
const ROOT = '5c1d9e8a-7777-4aaa-8bbb-cccc0000dddd';
const PIN_ENV = 'KEYSYNC_TEST_PIN';
const hsm = useSoftHsmToken();
const kp = new KeyProtectStandin();
const kube = new KubeStandin(NS, {});
const work = mkdtempSync(join(tmpdir(), 'imgseal-keysync-p11-'));
after(async () => {
  await kp.stop();
  await kube.stop();
  rmSync(work, { recursive: true, force: true });
});
let n = 0;
const fresh = (name: string): string => {
  const d = join(work, `${name}-${n++}`);
  mkdirSync(d, { recursive: true });
  return d;
};
const files = (d: string): string[] => readdirSync(d).sort();

function p11Config(t: SoftHsmToken): string {
  const file = join(work, `p11-${n++}.json`);
  writeFileSync(file, JSON.stringify({ 'module-path': t.module, 'token-label': t.tokenLabel, 'key-label': 'keysync-kek', 'pin-env': PIN_ENV, 'module-env': { SOFTHSM2_CONF: t.softhsmConf } }));
  return file;
}
const p11Env = (t: SoftHsmToken, pin = t.pin): Record<string, string> => ({ OCICRYPT_CONFIG: t.ocicryptConfig, [PIN_ENV]: pin });

async function wrap(args: string[], key: Buffer, env: Record<string, string> = {}): Promise<string> {
  const input = join(work, `in-${n++}.pem`);
  writeFileSync(input, key);
  const out = join(work, `out-${n++}.wrapped`);
  const r = await runCli(['kms', 'wrap', ...args, input, out], { env });
  assert.equal(r.code, 0, r.stderr);
  return readFileSync(out, 'utf8');
}

function assertKeyFile(path: string, content: Buffer): void {
  const st = lstatSync(path);
  assert.ok(st.isFile(), `${path} is a regular file`);
  assert.equal(st.mode & 0o777, 0o600);
  assert.deepEqual(readFileSync(path), content);
}

describe('imgseal keysync with kp-key Secrets wrapped on a PKCS#11 token (SoftHSM)', { concurrency: false }, () => {
  before(async () => {
    await kp.start();
    kp.addRootKey(ROOT);
    await kube.start();
    const token = hsm.made();
    if (token) await addAesKey(token, 'keysync-kek', '1c');
  }, { timeout: 120_000 });

  test('--once --from-dir: a PKCS#11 entry and a Key Protect entry of one kp-key Secret are both unwrapped and written 0600', async (t) => {
    const tk = hsm.get(t);
    if (!tk) return;
    const cfg = p11Config(tk);
    const kpCfg = join(work, 'kp.json');
    writeFileSync(kpCfg, kp.config());
    const vol = join(fresh('vol'), 'wrapped-keys');
    writeSecretVolume(vol, {
      'rsa.pem': await wrap(['--pkcs11-config', cfg], RSA, p11Env(tk)),
      'ec.pem': await wrap(['--keyprotect-config', kpCfg, '--root-key-id', ROOT], EC),
    });
    const keys = fresh('keys');
    const r = await runCli(['keysync', '--once', '--from-dir', vol, '--secret-type', 'kp-key', '--pkcs11-config', cfg, '--keyprotect-config', kpCfg, '--keys-dir', keys], { env: p11Env(tk) });
    assert.equal(r.code, 0, r.stderr);
    assert.deepEqual(files(keys), [`keysync_${NS}_wrapped-keys_ec.pem`, `keysync_${NS}_wrapped-keys_rsa.pem`]);
    assertKeyFile(join(keys, `keysync_${NS}_wrapped-keys_rsa.pem`), RSA);
    assertKeyFile(join(keys, `keysync_${NS}_wrapped-keys_ec.pem`), EC);
    assert.deepEqual(r.stdout.trim().split('\n').map((l) => (JSON.parse(l) as { key: string }).key), ['ec.pem', 'rsa.pem']);
    assert.doesNotMatch(r.stdout + r.stderr, new RegExp(`${tk.pin}|PRIVATE KEY|${kp.apiKey}`));
    // The written key opens what it should: an image encrypted to its public key decrypts with it.
    const enc = join(work, 'enc');
    const dec = join(work, 'dec');
    const e = await runCli(['copy', '--encryption-key', `jwe:${join(FIXTURES, 'jwe-rsa2048/keys/rsa1_pub.pem')}`, `oci:${join(FIXTURES, 'plain-base/image')}:base`, `oci:${enc}:e`]);
    assert.equal(e.code, 0, e.stderr);
    const d = await runCli(['copy', '--decryption-key', join(keys, `keysync_${NS}_wrapped-keys_rsa.pem`), `oci:${enc}:e`, `oci:${dec}:d`]);
    assert.equal(d.code, 0, d.stderr);
  });

  test('--from-dir: wrong PIN, missing --pkcs11-config, altered entry → one line each, no key file, no PIN printed; the good entry is served', async (t) => {
    const tk = hsm.get(t);
    if (!tk) return;
    const cfg = p11Config(tk);
    const good = await wrap(['--pkcs11-config', cfg], RSA, p11Env(tk));
    const o = JSON.parse(Buffer.from(good, 'base64').toString('utf8')) as Record<string, string>;
    const ct = Buffer.from(o.ciphertext as string, 'base64');
    ct[3] = (ct[3] as number) ^ 4;
    const altered = Buffer.from(JSON.stringify({ ...o, ciphertext: ct.toString('base64') })).toString('base64');
    const vol = join(fresh('vol'), 'mixed');
    writeSecretVolume(vol, { 'good.pem': good, 'altered.pem': altered });
    const wrongPin = fresh('keys');
    const a = await runCli(['keysync', '--once', '--from-dir', vol, '--secret-type', 'kp-key', '--pkcs11-config', cfg, '--keys-dir', wrongPin], { env: p11Env(tk, '000000') });
    assert.equal(a.code, 1);
    assert.deepEqual(files(wrongPin), []);
    const lines = a.stderr.trim().split('\n');
    assert.equal(lines.length, 3, a.stderr);
    assert.match(lines[0] as string, /Secret image-key-synchronizer\/mixed key altered\.pem: pkcs11: the token peer-token refused the PIN \(CKR_PIN_INCORRECT/);
    assert.match(lines[1] as string, /key good\.pem: pkcs11: the token peer-token refused the PIN/);
    assert.doesNotMatch(a.stdout + a.stderr, /000000|PRIVATE KEY/);
    const noConfig = fresh('keys');
    const b = await runCli(['keysync', '--once', '--from-dir', vol, '--secret-type', 'kp-key', '--keyprotect-config', join(work, 'kp.json'), '--keys-dir', noConfig]);
    assert.equal(b.code, 1);
    assert.deepEqual(files(noConfig), []);
    assert.match(b.stderr, /key good\.pem: the key is wrapped by a PKCS#11 token; unwrapping it needs the PKCS#11 configuration \(--pkcs11-config\)/);
    const right = fresh('keys');
    const c = await runCli(['keysync', '--once', '--from-dir', vol, '--secret-type', 'kp-key', '--pkcs11-config', cfg, '--keys-dir', right], { env: p11Env(tk) });
    assert.equal(c.code, 1);
    assert.deepEqual(files(right), [`keysync_${NS}_mixed_good.pem`]);
    assertKeyFile(join(right, `keysync_${NS}_mixed_good.pem`), RSA);
    assert.match(c.stderr.split('\n')[0] as string, /key altered\.pem: PKCS#11 unwrap: the wrapped key does not verify with key 'keysync-kek' \(id 1c\)/);
  });

  test('API path: a kp-key Secret wrapped on the token is unwrapped through PKCS#11', async (t) => {
    const tk = hsm.get(t);
    if (!tk) return;
    const cfg = p11Config(tk);
    kube.put({ name: 'node-wrapped', type: 'kp-key', data: { 'ec.pem': await wrap(['--pkcs11-config', cfg], EC, p11Env(tk)) } });
    const keys = fresh('keys');
    const r = await runCli(['keysync', '--once', '--kubeconfig', kube.kubeconfig(), '--pkcs11-config', cfg, '--keys-dir', keys], { env: p11Env(tk) });
    assert.equal(r.code, 0, r.stderr);
    assert.deepEqual(files(keys), [`keysync_${NS}_node-wrapped_ec.pem`]);
    assertKeyFile(join(keys, `keysync_${NS}_node-wrapped_ec.pem`), EC);
    assert.doesNotMatch(r.stdout + r.stderr, new RegExp(`${tk.pin}|PRIVATE KEY`));
  });
});
