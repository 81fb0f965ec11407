/**
 * Which credentials answer a trust server's token challenge: --creds, else an entry for
 * the trust server's own host, else the image registry's entry (what docker sends);
 * --no-creds is anonymous and a registry token never goes to the trust server.
 */
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, test } from 'node:test';
import { trustServerCredential } from '../../src/trust/client/server-credentials.js';

const dir = mkdtempSync(join(tmpdir(), 'imgseal-trust-creds-'));
after(() => rmSync(dir, { recursive: true, force: true }));
const SERVER = 'notary.example:4443';
const REGISTRY = { domain: 'registry.example', repository: 'team/app' };
const b64 = (s: string) => Buffer.from(s).toString('base64');

function authFile(name: string, auths: Record<string, string>): string {
  const path = join(dir, name);
  writeFileSync(path, JSON.stringify({ auths: Object.fromEntries(Object.entries(auths).map(([k, v]) => [k, { auth: b64(v) }])) }));
  return path;
}
const basic = (userPass: string) => {
  const [username, password] = userPass.split(':');
  return { kind: 'basic', username, password };
};

test('the registry\'s entry answers the trust server when the trust server has none (docker\'s choice)', async () => {
  const file = authFile('registry-only.json', { 'registry.example': 'reg:secret1' });
  assert.deepEqual(await trustServerCredential(SERVER, REGISTRY, { authFile: file }), { credential: basic('reg:secret1'), source: 'registry.example' });
  // A repository-scoped entry of the registry is found as the registry client finds it.
  const scoped = authFile('scoped.json', { 'registry.example/team/app': 'scoped:secret2', 'registry.example': 'reg:secret1' });
  assert.deepEqual((await trustServerCredential(SERVER, REGISTRY, { authFile: scoped })).credential, basic('scoped:secret2'));
});

test('an entry for the trust server\'s own host wins over the registry\'s', async () => {
  const file = authFile('both.json', { 'registry.example': 'reg:secret1', [SERVER]: 'notary:secret3' });
  assert.deepEqual(await trustServerCredential(SERVER, REGISTRY, { authFile: file }), { credential: basic('notary:secret3'), source: SERVER });
});

test('--creds win over every entry; --no-creds is anonymous; a registry token is never sent', async () => {
  const file = authFile('all.json', { 'registry.example': 'reg:secret1', [SERVER]: 'notary:secret3' });
  const explicit = await trustServerCredential(SERVER, REGISTRY, { authFile: file, credentials: { username: 'cli', password: 'secret4' } });
  assert.deepEqual(explicit, { credential: basic('cli:secret4'), source: '--creds' });
  assert.deepEqual(await trustServerCredential(SERVER, REGISTRY, { authFile: file, noCredentials: true }), { credential: null });
  const withToken = await trustServerCredential(SERVER, REGISTRY, { authFile: file, registryToken: 'registry-bearer-token' });
  assert.deepEqual(withToken.credential, basic('notary:secret3'));
  const onlyToken = await trustServerCredential(SERVER, REGISTRY, { authFile: authFile('none.json', {}), registryToken: 'registry-bearer-token' });
  assert.deepEqual(onlyToken, { credential: null });
});

test('no entry anywhere: anonymous', async () => {
  const file = authFile('other.json', { 'elsewhere.example': 'x:y' });
  assert.deepEqual(await trustServerCredential(SERVER, REGISTRY, { authFile: file }), { credential: null });
  assert.deepEqual(await trustServerCredential(SERVER, undefined, { authFile: file }), { credential: null });
});
