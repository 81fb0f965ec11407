/** Credential lookup, auth-file keys and WWW-Authenticate parsing, without a registry. */
import assert from 'node:assert/strict';
import { mkdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { test } from 'node:test';
import { isImgsealError } from '../../../src/errors.js';
import { parseImageName } from '../../../src/transports/transports.js';
import { authFilesToRead, authFileToWrite, normalizeAuthKey, parseChallenges, resolveCredentials } from '../../../src/http/index.js';
import { isolatedEnv } from './helpers.js';

const b64 = (s: string): string => Buffer.from(s).toString('base64');

test('docker:// is registered in the transport map', () => {
  assert.equal(parseImageName('docker://alpine').toString(), 'docker://docker.io/library/alpine:latest');
});

test('WWW-Authenticate challenges', () => {
  assert.deepEqual(parseChallenges('Bearer realm="https://auth.example/token",service="registry.example",scope="repository:a/b:pull,push"'), [
    { scheme: 'bearer', params: { realm: 'https://auth.example/token', service: 'registry.example', scope: 'repository:a/b:pull,push' } },
  ]);
  assert.deepEqual(parseChallenges(['Basic realm="peer-registry"']), [{ scheme: 'basic', params: { realm: 'peer-registry' } }]);
  assert.deepEqual(parseChallenges('Basic realm=x, Bearer realm="r", error="invalid_token"'), [
    { scheme: 'basic', params: { realm: 'x' } },
    { scheme: 'bearer', params: { realm: 'r', error: 'invalid_token' } },
  ]);
  assert.deepEqual(parseChallenges(undefined), []);
});

test('auth keys normalise like containers/image', () => {
  assert.equal(normalizeAuthKey('https://index.docker.io/v1/'), 'docker.io');
  assert.equal(normalizeAuthKey('http://quay.io'), 'quay.io');
  assert.equal(normalizeAuthKey('quay.io/ns/repo'), 'quay.io/ns/repo');
  assert.equal(normalizeAuthKey('registry-1.docker.io'), 'docker.io');
});

test('file order: a named file is the only one; else XDG runtime, ~/.config, docker config', () => {
  assert.deepEqual(authFilesToRead({ env: { REGISTRY_AUTH_FILE: '/x/a.json', HOME: '/h' } }), ['/x/a.json']);
  assert.deepEqual(authFilesToRead({ authFile: '/y.json', env: { REGISTRY_AUTH_FILE: '/x/a.json' } }), ['/y.json']);
  assert.deepEqual(authFilesToRead({ env: { HOME: '/h', XDG_RUNTIME_DIR: '/run/u' } }), [
    '/run/u/containers/auth.json',
    '/h/.config/containers/auth.json',
    '/h/.docker/config.json',
  ]);
  assert.deepEqual(authFilesToRead({ env: { HOME: '/h', DOCKER_CONFIG: '/d' } }), ['/h/.config/containers/auth.json', '/d/config.json']);
  assert.equal(authFileToWrite({ env: { HOME: '/h', XDG_RUNTIME_DIR: '/run/u' } }), '/run/u/containers/auth.json');
  assert.equal(authFileToWrite({ env: { HOME: '/h' } }), '/h/.config/containers/auth.json');
});

test('credentials: --creds first, then auth.json, then docker config (most specific key)', async () => {
  const { home } = isolatedEnv();
  const env = { HOME: home, XDG_RUNTIME_DIR: join(home, 'run') };
  mkdirSync(join(home, 'run', 'containers'), { recursive: true });
  mkdirSync(join(home, '.docker'));
  writeFileSync(join(home, 'run', 'containers', 'auth.json'), JSON.stringify({ auths: { 'r.example/team': { auth: b64('team:t') } } }));
  writeFileSync(
    join(home, '.docker', 'config.json'),
    JSON.stringify({ auths: { 'https://index.docker.io/v1/': { auth: b64('hub:h') }, 'r.example': { auth: b64('host:x') } } }),
  );
  assert.deepEqual(await resolveCredentials('r.example', 'team/app', { env }), { kind: 'basic', username: 'team', password: 't' });
  assert.deepEqual(await resolveCredentials('r.example', 'other/app', { env }), { kind: 'basic', username: 'host', password: 'x' });
  assert.deepEqual(await resolveCredentials('docker.io', 'library/alpine', { env }), { kind: 'basic', username: 'hub', password: 'h' });
  assert.equal(await resolveCredentials('none.example', 'a', { env }), undefined);
  assert.deepEqual(await resolveCredentials('r.example', 'team/app', { env, credentials: { username: 'u', password: 'p' } }), {
    kind: 'basic',
    username: 'u',
    password: 'p',
  });
});

test('credentials: --no-creds reads no file, --registry-token is used as is', async () => {
  const { env, authFile } = isolatedEnv();
  writeFileSync(authFile, JSON.stringify({ auths: { 'r.example': { auth: b64('host:x') } } }));
  assert.deepEqual(await resolveCredentials('r.example', 'a', { env }), { kind: 'basic', username: 'host', password: 'x' });
  assert.equal(await resolveCredentials('r.example', 'a', { env, noCredentials: true }), undefined);
  assert.deepEqual(await resolveCredentials('r.example', 'a', { env, registryToken: 'tok-1' }), { kind: 'registry-token', token: 'tok-1' });
});

test('a malformed auth file is an error naming the file', async () => {
  const { env, authFile } = isolatedEnv();
  writeFileSync(authFile, '{"auths": ');
  await assert.rejects(resolveCredentials('r.example', 'a', { env }), (err: unknown) => isImgsealError(err, 'INVALID_ARGUMENT') && err.message.includes(authFile));
  writeFileSync(authFile, JSON.stringify({ auths: { 'r.example': { auth: b64('nocolon') } } }));
  await assert.rejects(resolveCredentials('r.example', 'a', { env }), (err: unknown) => isImgsealError(err, 'INVALID_ARGUMENT') && !err.message.includes('nocolon'));
});

test('a missing credential helper is one clear UNAUTHORIZED line', async () => {
  const { env, authFile } = isolatedEnv();
  writeFileSync(authFile, JSON.stringify({ credHelpers: { 'r.example': 'does-not-exist-xyz' } }));
  await assert.rejects(
    resolveCredentials('r.example', 'a', { env: { ...env, PATH: '/nonexistent' } }),
    (err: unknown) => isImgsealError(err, 'UNAUTHORIZED') && /docker-credential-does-not-exist-xyz: not found in PATH/.test(err.message),
  );
});
