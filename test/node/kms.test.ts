// `imgseal kms wrap|unwrap` against a loopback stand-in of IAM + Key Protect.
import assert from 'node:assert/strict';
import { existsSync, lstatSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, test } from 'node:test';
import { FIXTURES, runCli } from '../testkit/cli.js';
import { KeyProtectStandin } from '../testkit/keyprotect-standin.js';

const ROOT = '0b5e5d6a-1111-4222-8333-444455556666';
const kp = new KeyProtectStandin();
const work = mkdtempSync(join(tmpdir(), 'imgseal-kms-'));
before(async () => {
  await kp.start();
  kp.addRootKey(ROOT);
});
after(async () => {
  await kp.stop();
  rmSync(work, { recursive: true, force: true });
});
const KEY = join(FIXTURES, 'jwe-rsa2048/keys/rsa1_priv.pem');

describe('imgseal kms (Key Protect stand-in)', () => {
  test('wrap → ciphertext naming its root key; unwrap → the key file again, 0600', async () => {
    const cfg = join(work, 'kp.json');
    writeFileSync(cfg, kp.config());
    const ct = join(work, 'key.ct');
    const w = await runCli(['kms', 'wrap', '--keyprotect-config', cfg, '--root-key-id', ROOT, KEY, ct]);
    assert.equal(w.code, 0, w.stderr);
    const text = readFileSync(ct, 'utf8');
    const inner = JSON.parse(Buffer.from(text, 'base64').toString('utf8')) as { handle: string; version: string };
    assert.equal(inner.handle, ROOT);
    // What was sent: the base64 of the key file, as `ibmcloud kp key wrap --plaintext "$(base64 < key)"`.
    const wrapReq = kp.requests.find((r) => r.path.endsWith('/actions/wrap'));
    assert.equal((JSON.parse(wrapReq?.body ?? '{}') as { plaintext: string }).plaintext, readFileSync(KEY).toString('base64'));
    assert.equal(wrapReq?.instance, kp.instanceId);
    const out = join(work, 'key.pem');
    const u = await runCli(['kms', 'unwrap', '--keyprotect-config', cfg, ct, out]);
    assert.equal(u.code, 0, u.stderr);
    assert.deepEqual(readFileSync(out), readFileSync(KEY));
    assert.equal(lstatSync(out).mode & 0o777, 0o600);
    assert.doesNotMatch(w.stdout + w.stderr + u.stdout + u.stderr, new RegExp(`${kp.apiKey}|PRIVATE KEY`));
  });

  test('wrong API key, unknown root key, unknown config field, duplicate key: one line, nothing written', async () => {
    const cases: [string, string[], RegExp][] = [
      [kp.config('nope'), ['--root-key-id', ROOT], /IAM token request \(check the apikey\): HTTP 400/],
      [kp.config(), ['--root-key-id', 'no-such-key'], /root key no-such-key: HTTP 404: Not Found: Key does not exist/],
      [kp.config(undefined, { region: 'x' }), ['--root-key-id', ROOT], /unknown field "region"/],
      [`{"keyprotect-url":"${kp.url}","keyprotect-url":"${kp.url}","instance-id":"i","apikey":"a"}`, ['--root-key-id', ROOT], /duplicate key/],
      [kp.config(), [], /--root-key-id is required/],
    ];
    for (const [config, extra, want] of cases) {
      const cfg = join(work, 'bad.json');
      writeFileSync(cfg, config);
      const out = join(work, 'never.ct');
      const r = await runCli(['kms', 'wrap', '--keyprotect-config', cfg, ...extra, KEY, out]);
      assert.notEqual(r.code, 0);
      assert.equal(r.stderr.trim().split('\n').length, 1, r.stderr);
      assert.match(r.stderr, want);
      assert.ok(!existsSync(out));
      assert.doesNotMatch(r.stderr, /"nope"|apikey":/);
    }
  });
});
