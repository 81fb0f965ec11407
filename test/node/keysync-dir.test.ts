// `imgseal keysync --from-dir`: a mounted Secret volume (kubelet's layout) → the key
// directory: regular 0600 files named after Secret and key, gone keys removed, other
// files untouched, one line per error while the other keys are served.
import assert from 'node:assert/strict';
import { copyFileSync, lstatSync, mkdirSync, mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, describe, test } from 'node:test';
import { FIXTURES, runCli } from '../testkit/cli.js';
import { KeyProtectStandin } from '../testkit/keyprotect-standin.js';
import { startAgent, waitFor, writeSecretVolume } from './keysync-helpers.js';

const work = mkdtempSync(join(tmpdir(), 'imgseal-keysync-dir-'));
after(() => rmSync(work, { recursive: true, force: true }));
const RSA = readFileSync(join(FIXTURES, 'jwe-rsa2048/keys/rsa1_priv.pem'));
const EC = readFileSync(join(FIXTURES, 'jwe-ec-p256/keys/ec_p256_priv.pem'));
let n = 0;
const fresh = (name: string): string => {
  const d = join(work, `${name}-${n++}`);
  mkdirSync(d);
  return d;
};

function assertKeyFile(path: string, content: Buffer): void {
  const st = lstatSync(path);
  assert.ok(st.isFile(), `${path} is a regular file`);
  assert.equal(st.mode & 0o777, 0o600);
  assert.deepEqual(readFileSync(path), content);
}

describe('imgseal keysync --from-dir', () => {
  test('--once: one regular 0600 file per key, named after Secret and key; an audit line each, no key material', async () => {
    const vol = join(fresh('vol'), 'my-keys');
    writeSecretVolume(vol, { 'rsa.pem': RSA, 'ec.pem': EC });
    const keys = fresh('keys');
    writeFileSync(join(keys, 'admin-key.pem'), 'someone else\'s file\n');
    const r = await runCli(['keysync', '--once', '--from-dir', vol, '--keys-dir', keys, '--namespace', 'ns1']);
    assert.equal(r.code, 0, r.stderr);
    assert.deepEqual(readdirSync(keys).sort(), ['admin-key.pem', 'keysync_ns1_my-keys_ec.pem', 'keysync_ns1_my-keys_rsa.pem']);
    assertKeyFile(join(keys, 'keysync_ns1_my-keys_rsa.pem'), RSA);
    assertKeyFile(join(keys, 'keysync_ns1_my-keys_ec.pem'), EC);
    const audit = r.stdout.trim().split('\n').map((l) => JSON.parse(l) as Record<string, string>);
    assert.deepEqual(audit.map((a) => [a.action, a.secret, a.key]), [['key-written', 'ns1/my-keys', 'ec.pem'], ['key-written', 'ns1/my-keys', 'rsa.pem']]);
    for (const a of audit) assert.match(a.fingerprint ?? '', /^[A-Za-z0-9_-]{43}$/);
    assert.doesNotMatch(r.stdout + r.stderr, /PRIVATE KEY|MII/);
    assert.equal(readFileSync(join(keys, 'admin-key.pem'), 'utf8'), 'someone else\'s file\n');
    // Same content again: nothing rewritten, nothing audited.
    const again = await runCli(['keysync', '--once', '--from-dir', vol, '--keys-dir', keys, '--namespace', 'ns1']);
    assert.equal(again.code, 0, again.stderr);
    assert.equal(again.stdout, '');
  });

  test('--once: a malformed key is one line and exit 1, the other keys are written; --secret-name names the files', async () => {
    const vol = join(fresh('vol'), 'x');
    writeSecretVolume(vol, { 'good.pem': RSA, 'public.pem': readFileSync(join(FIXTURES, 'jwe-rsa2048/keys/rsa1_pub.pem')), 'locked.pem': readFileSync(join(FIXTURES, 'jwe-rsa2048/keys/rsa1_priv_enc_legacy.pem')) });
    const keys = fresh('keys');
    const r = await runCli(['keysync', '--once', '--from-dir', vol, '--secret-name', 'team-a', '--keys-dir', keys]);
    assert.equal(r.code, 1);
    assert.deepEqual(readdirSync(keys), ['keysync_image-key-synchronizer_team-a_good.pem']);
    const lines = r.stderr.trim().split('\n');
    assert.equal(lines.length, 3, r.stderr);
    assert.match(lines[0] as string, /locked\.pem: the key is password-protected/);
    assert.match(lines[1] as string, /public\.pem: is a public key/);
    assert.match(lines[2] as string, /2 errors during the sync/);
  });

  test('--once: an unwritable key directory is one line and leaves no half-written file', async () => {
    const vol = join(fresh('vol'), 'x');
    writeSecretVolume(vol, { 'good.pem': RSA });
    const notDir = join(fresh('f'), 'file');
    writeFileSync(notDir, '');
    const r = await runCli(['keysync', '--once', '--from-dir', vol, '--keys-dir', notDir]);
    assert.equal(r.code, 1);
    assert.match(r.stderr.split('\n')[0] as string, /cannot write in key directory .*ENOTDIR/);
  });

  test('watching: kubelet swaps ..data → new keys written, gone keys removed, nothing else touched', async () => {
    const vol = join(fresh('vol'), 'ks');
    writeSecretVolume(vol, { 'rsa.pem': RSA });
    const keys = fresh('keys');
    writeFileSync(join(keys, 'other'), 'x');
    copyFileSync(join(FIXTURES, 'jwe-ec-p256/keys/ec_p256_priv.pem'), join(keys, 'keysync_other-ns_s_k'));
    const agent = startAgent(['--from-dir', vol, '--keys-dir', keys, '--namespace', 'n']);
    try {
      await waitFor('rsa key', () => readdirSync(keys).includes('keysync_n_ks_rsa.pem'));
      writeSecretVolume(vol, { 'ec.pem': EC });
      rmSync(join(vol, 'rsa.pem'));
      await waitFor('ec key and rsa gone', () => {
        const f = readdirSync(keys);
        return f.includes('keysync_n_ks_ec.pem') && !f.includes('keysync_n_ks_rsa.pem');
      });
      assertKeyFile(join(keys, 'keysync_n_ks_ec.pem'), EC);
      assert.deepEqual(readdirSync(keys).sort(), ['keysync_n_ks_ec.pem', 'keysync_other-ns_s_k', 'other']);
      await waitFor('audit', () => agent.audit.some((a) => a.action === 'key-removed'));
      assert.deepEqual(agent.audit.map((a) => `${a.action} ${a.key}`), ['key-written rsa.pem', 'key-written ec.pem', 'key-removed rsa.pem']);
    } finally {
      assert.equal(await agent.stop(), 0);
    }
    assert.equal(agent.stderr(), '');
  });

  test('watching: a kubelet swap during the first sync is not missed (the folder is watched before it is read)', async () => {
    const kp = new KeyProtectStandin();
    await kp.start();
    try {
      kp.addRootKey('root-1');
      const cfg = join(fresh('kp'), 'kp.json');
      writeFileSync(cfg, kp.config());
      const wrap = async (key: Buffer): Promise<string> => {
        const d = fresh('wrap');
        writeFileSync(join(d, 'in.pem'), key);
        const r = await runCli(['kms', 'wrap', '--keyprotect-config', cfg, '--root-key-id', 'root-1', join(d, 'in.pem'), join(d, 'out')]);
        assert.equal(r.code, 0, r.stderr);
        return readFileSync(join(d, 'out'), 'utf8');
      };
      const [rsa, ec] = [await wrap(RSA), await wrap(EC)];
      const vol = join(fresh('vol'), 'kp');
      writeSecretVolume(vol, { 'rsa.pem': rsa });
      const keys = fresh('keys');
      // The first sync stops inside its unwrap; the volume changes meanwhile.
      let release = (): void => undefined;
      const held = new Promise<void>((resolve) => (kp.hold = { until: new Promise<void>((r) => (release = r)), onHeld: resolve }));
      // --resync 3600: only the watch can bring the change in within the test.
      const agent = startAgent(['--from-dir', vol, '--secret-type', 'kp-key', '--keyprotect-config', cfg, '--keys-dir', keys, '--namespace', 'n', '--resync', '3600']);
      try {
        await held;
        writeSecretVolume(vol, { 'ec.pem': ec });
        rmSync(join(vol, 'rsa.pem'));
        await new Promise((r) => setTimeout(r, 500)); // the change events arrive while the sync is held
        kp.hold = undefined;
        release();
        await waitFor('ec key and rsa gone', () => {
          const f = readdirSync(keys);
          return f.includes('keysync_n_kp_ec.pem') && !f.includes('keysync_n_kp_rsa.pem');
        }, 20_000);
        assertKeyFile(join(keys, 'keysync_n_kp_ec.pem'), EC);
      } finally {
        release();
        assert.equal(await agent.stop(), 0);
      }
    } finally {
      await kp.stop();
    }
  });
});
