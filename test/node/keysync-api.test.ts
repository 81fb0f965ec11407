// `imgseal keysync` against a loopback stand-in of the Kubernetes API (HTTPS, bearer
// token, list + watch with resourceVersions, 410 Gone, dropped connections) and of
// IAM + Key Protect for kp-key Secrets.
import assert from 'node:assert/strict';
import { lstatSync, mkdirSync, mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { request } from 'node:http';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, test } from 'node:test';
import { FIXTURES, runCli } from '../testkit/cli.js';
import { KeyProtectStandin } from '../testkit/keyprotect-standin.js';
import { KubeStandin } from '../testkit/kube-standin.js';
import { startAgent, waitFor } from './keysync-helpers.js';

const NS = 'image-key-synchronizer';
const RSA = readFileSync(join(FIXTURES, 'jwe-rsa2048/keys/rsa1_priv.pem'));
const EC = readFileSync(join(FIXTURES, 'jwe-ec-p256/keys/ec_p256_priv.pem'));
const ROOT = '27b941a0-ab34-4b92-960d-30fa80f15bf0';
const work = mkdtempSync(join(tmpdir(), 'imgseal-keysync-api-'));
const kube = new KubeStandin(NS, { 'node-a': { pool: 'gpu', zone: 'z1' }, 'node-b': { pool: 'cpu' } });
const kp = new KeyProtectStandin();
before(async () => {
  await kube.start();
  await kp.start();
  kp.addRootKey(ROOT);
});
after(async () => {
  await kube.stop();
  await kp.stop();
  rmSync(work, { recursive: true, force: true });
});
let n = 0;
const fresh = (): string => {
  const d = join(work, `keys-${n++}`);
  mkdirSync(d);
  return d;
};
const files = (d: string): string[] => readdirSync(d).sort();

function health(port: number, path: string): Promise<{ status: number; body: Record<string, unknown> }> {
  return new Promise((resolve, reject) => {
    request({ host: '127.0.0.1', port, path }, (res) => {
      let b = '';
      res.setEncoding('utf8').on('data', (d: string) => (b += d));
      res.on('end', () => resolve({ status: res.statusCode ?? 0, body: JSON.parse(b) as Record<string, unknown> }));
    }).on('error', reject).end();
  });
}

async function kpWrap(key: Buffer): Promise<string> {
  const cfg = join(work, `kp-${n++}.json`);
  writeFileSync(cfg, kp.config());
  const input = join(work, `in-${n++}.pem`);
  writeFileSync(input, key);
  const out = join(work, `out-${n++}.ct`);
  const r = await runCli(['kms', 'wrap', '--keyprotect-config', cfg, '--root-key-id', ROOT, input, out]);
  assert.equal(r.code, 0, r.stderr);
  return readFileSync(out, 'utf8');
}

describe('imgseal keysync (Kubernetes API stand-in)', { concurrency: false }, () => {
  test('Secret created → key file appears; updated → replaced; deleted → removed; other Secret types ignored', async () => {
    const keys = fresh();
    kube.put({ name: 'sa-token', type: 'kubernetes.io/service-account-token', data: { token: 'abc' } });
    kube.put({ name: 'team-a', type: 'key', data: { 'rsa.pem': RSA } });
    const agent = startAgent(['--kubeconfig', kube.kubeconfig(), '--keys-dir', keys, '--resync', '600']);
    try {
      await waitFor('team-a key', () => files(keys).includes(`keysync_${NS}_team-a_rsa.pem`));
      const st = lstatSync(join(keys, `keysync_${NS}_team-a_rsa.pem`));
      assert.ok(st.isFile());
      assert.equal(st.mode & 0o777, 0o600);
      await waitFor('watch open', () => kube.openWatches() > 0);
      kube.put({ name: 'team-b', type: 'key', data: { 'ec.pem': EC } });
      await waitFor('team-b key', () => files(keys).includes(`keysync_${NS}_team-b_ec.pem`));
      kube.put({ name: 'team-a', type: 'key', data: { 'rsa.pem': EC } });
      await waitFor('team-a replaced', () => readFileSync(join(keys, `keysync_${NS}_team-a_rsa.pem`)).equals(EC));
      kube.delete('team-b');
      await waitFor('team-b removed', () => !files(keys).includes(`keysync_${NS}_team-b_ec.pem`));
      assert.deepEqual(files(keys), [`keysync_${NS}_team-a_rsa.pem`]);
      assert.deepEqual(agent.audit.map((a) => `${a.action} ${a.secret}/${a.key}`), [
        `key-written ${NS}/team-a/rsa.pem`,
        `key-written ${NS}/team-b/ec.pem`,
        `key-written ${NS}/team-a/rsa.pem`,
        `key-removed ${NS}/team-b/ec.pem`,
      ]);
      assert.ok(kube.requests.every((r) => r.authorized));
    } finally {
      assert.equal(await agent.stop(), 0);
    }
    assert.equal(agent.stderr(), '');
    assert.doesNotMatch(agent.stdout(), new RegExp(kube.token));
    kube.delete('team-a');
    kube.delete('sa-token');
  });

  test('malformed Secret, API disconnect mid-watch, 410 Gone: one line each, the agent keeps serving', async () => {
    const keys = fresh();
    const agent = startAgent(['--kubeconfig', kube.kubeconfig(), '--keys-dir', keys, '--health-port', '0'], {});
    try {
      kube.put({ name: 'good', type: 'key', data: { 'k.pem': RSA } });
      kube.put({ name: 'bad', type: 'key', data: { 'junk.pem': 'not a key at all' } });
      await waitFor('good key', () => files(keys).includes(`keysync_${NS}_good_k.pem`));
      await waitFor('one error line', () => /bad key junk\.pem/.test(agent.stderr()));
      assert.equal(agent.stderr().trim().split('\n').length, 1);
      await waitFor('watch open', () => kube.openWatches() > 0);
      const listsBefore = kube.requests.filter((r) => !r.watch).length;
      kube.disconnectWatches();
      kube.put({ name: 'after-cut', type: 'key', data: { 'k.pem': EC } });
      await waitFor('key after reconnect', () => files(keys).includes(`keysync_${NS}_after-cut_k.pem`));
      // The reconnect resumed from the last resourceVersion: no relist needed.
      assert.equal(kube.requests.filter((r) => !r.watch).length, listsBefore);
      await waitFor('watch open again', () => kube.openWatches() > 0);
      // Cut, change, compact before the agent is back: its resourceVersion is gone.
      kube.disconnectWatches();
      kube.delete('after-cut');
      kube.compact();
      await waitFor('relisted after 410', () => kube.requests.filter((r) => !r.watch).length > listsBefore);
      await waitFor('deleted key gone after relist', () => !files(keys).includes(`keysync_${NS}_after-cut_k.pem`));
      assert.match(agent.stderr(), /410 Gone/);
      assert.deepEqual(files(keys), [`keysync_${NS}_good_k.pem`]);
      assert.equal(agent.child.exitCode, null, 'still running');
    } finally {
      await agent.stop();
      kube.delete('good');
      kube.delete('bad');
    }
  });

  test('health endpoint: /healthz 200, /readyz 200 after the first sync', async () => {
    const keys = fresh();
    const port = 20000 + Math.floor(Math.random() * 20000);
    const agent = startAgent(['--kubeconfig', kube.kubeconfig(), '--keys-dir', keys, '--health-port', String(port)]);
    try {
      await waitFor('health up', () => /x/.test('x'));
      let ready: { status: number; body: Record<string, unknown> } | undefined;
      await waitFor('ready', () => {
        void health(port, '/readyz').then((r) => (ready = r), () => undefined);
        return ready?.status === 200;
      });
      assert.equal(ready?.body.ready, true);
      assert.equal((await health(port, '/healthz')).status, 200);
      assert.equal((await health(port, '/nope')).status, 404);
    } finally {
      await agent.stop();
    }
  });

  test('API unreachable at start: reconnects with backoff, syncs when it is back; a wrong token is one line per try', async () => {
    const keys = fresh();
    const bad = startAgent(['--kubeconfig', kube.kubeconfig('wrong-token'), '--keys-dir', keys]);
    try {
      await waitFor('two retries', () => (bad.stderr().match(/HTTP 401/g) ?? []).length >= 2);
      assert.deepEqual(files(keys), []);
      assert.doesNotMatch(bad.stderr(), /wrong-token/);
    } finally {
      await bad.stop();
    }
  });

  test('node selector annotation: only the nodes it selects get the key (NODE_NAME)', async () => {
    kube.put({ name: 'gpu-only', type: 'key', data: { 'k.pem': RSA }, annotations: { 'keysync.imgseal.io/node-selector': 'pool in (gpu),zone=z1' } });
    kube.put({ name: 'everyone', type: 'key', data: { 'k.pem': EC } });
    try {
      const a = fresh();
      const ra = await runCli(['keysync', '--once', '--kubeconfig', kube.kubeconfig(), '--keys-dir', a], { env: { NODE_NAME: 'node-a' } });
      assert.equal(ra.code, 0, ra.stderr);
      assert.deepEqual(files(a), [`keysync_${NS}_everyone_k.pem`, `keysync_${NS}_gpu-only_k.pem`]);
      const b = fresh();
      const rb = await runCli(['keysync', '--once', '--kubeconfig', kube.kubeconfig(), '--keys-dir', b], { env: { NODE_NAME: 'node-b' } });
      assert.equal(rb.code, 0, rb.stderr);
      assert.deepEqual(files(b), [`keysync_${NS}_everyone_k.pem`]);
      const c = fresh();
      const rc = await runCli(['keysync', '--once', '--kubeconfig', kube.kubeconfig(), '--keys-dir', c], { env: { NODE_NAME: '' } });
      assert.equal(rc.code, 1);
      assert.match(rc.stderr, /gpu-only: has a node selector but this node's labels are unknown \(set NODE_NAME\)/);
      assert.deepEqual(files(c), [`keysync_${NS}_everyone_k.pem`]);
    } finally {
      kube.delete('gpu-only');
      kube.delete('everyone');
    }
  });

  test('kp-key Secret unwrapped through Key Protect (config from the keyprotect-config Secret); wrong API key: no key file, no secret printed', async () => {
    const ct = await kpWrap(RSA);
    kube.put({ name: 'wrapped', type: 'kp-key', data: { 'rsa.pem': ct } });
    kube.put({ name: 'keyprotect-config', type: 'Opaque', data: { 'config.json': kp.config('wrong-api-key') } });
    try {
      const a = fresh();
      const bad = await runCli(['keysync', '--once', '--kubeconfig', kube.kubeconfig(), '--keys-dir', a]);
      assert.equal(bad.code, 1);
      assert.match(bad.stderr, /Secret image-key-synchronizer\/wrapped key rsa\.pem: IAM token request \(check the apikey\): HTTP 400: Provided API key could not be found/);
      assert.deepEqual(files(a), []);
      assert.doesNotMatch(bad.stdout + bad.stderr, /wrong-api-key|PRIVATE KEY/);
      kube.put({ name: 'keyprotect-config', type: 'Opaque', data: { 'config.json': kp.config() } });
      const b = fresh();
      const good = await runCli(['keysync', '--once', '--kubeconfig', kube.kubeconfig(), '--keys-dir', b]);
      assert.equal(good.code, 0, good.stderr);
      assert.deepEqual(files(b), [`keysync_${NS}_wrapped_rsa.pem`]);
      assert.deepEqual(readFileSync(join(b, `keysync_${NS}_wrapped_rsa.pem`)), RSA);
      assert.doesNotMatch(good.stdout + good.stderr, new RegExp(`${kp.apiKey}|PRIVATE KEY`));
      const unwraps = kp.requests.filter((r) => r.path === `/api/v2/keys/${ROOT}/actions/unwrap`);
      assert.ok(unwraps.length > 0 && unwraps.every((r) => r.instance === kp.instanceId));
    } finally {
      kube.delete('wrapped');
      kube.delete('keyprotect-config');
    }
  });
});
