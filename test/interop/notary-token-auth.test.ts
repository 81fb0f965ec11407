/**
 * Docker Content Trust against a notary-server 0.7.0 that asks for tokens (`auth: token`),
 * issued by the token server the registry uses (token-server.py, one issuer for the
 * registry's service and the notary's, as Docker Hub's auth service serves both). The
 * credentials are the registry's, as docker sends them: from auth.json, docker's
 * config.json or --creds; an entry for the trust server's own host wins. The real notary
 * CLI (credentials from NOTARY_AUTH) reads what imgseal publishes. Anonymous token
 * requests get a token granting nothing, as Docker Hub answers for a private repository:
 * the notary CLI's reads start anonymous and retry with credentials only on the 401 that follows.
 */
import assert from 'node:assert/strict';
import { createHash } from 'node:crypto';
import { existsSync, mkdirSync, readdirSync, readFileSync, statSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { after, before, test, type TestContext } from 'node:test';
import { assertOneLineFailure, imgseal, imgsealOk, runTool, workDir } from '../e2e/helpers.js';
import { buildLayout } from '../testkit/image-builder.js';
import { notaryTokenAuthEnv, useNotaryPeer, type NotaryPeer } from '../testkit/notary.js';
import { isCI, startRegistryPeer, stopRegistryPeer, type RegistryPeer } from '../testkit/peers.js';

const NOTARY_SERVICE = 'peer-notary';
// The registry is started here rather than with useRegistryPeer: the notary peer's start
// needs its token server's URL, issuer and signing certificate, and root-level before
// hooks run concurrently, so both wait on the one start.
let registryPeer: RegistryPeer | undefined;
let registryReason = 'registry peer not started';
let registryStart: Promise<RegistryPeer> | undefined;
const READER = 'reader:reader-pass-9';
const startRegistry = () => (registryStart ??= startRegistryPeer('token', { TOKEN_EXTRA_SERVICES: NOTARY_SERVICE, ANONYMOUS_TOKENS: '1', TOKEN_READER: READER }));
before(async () => {
  try {
    registryPeer = await startRegistry();
  } catch (err) {
    registryReason = `registry peer (token) did not start: ${(err as Error).message}`;
    if (isCI()) throw new Error(`${registryReason} (CI=true: a missing peer is a failure, not a skip)`);
  }
}, { timeout: 180_000 });
after(async () => {
  if (registryPeer) await stopRegistryPeer(registryPeer);
}, { timeout: 90_000 });
const registry = {
  get(t: TestContext): RegistryPeer | undefined {
    if (!registryPeer) t.skip(registryReason);
    return registryPeer;
  },
};
const notary = useNotaryPeer({
  env: async () => notaryTokenAuthEnv(await startRegistry(), NOTARY_SERVICE),
});
const work = workDir('notary-token');
const dockerConfig = join(work.root, 'docker');
const PASS = { DOCKER_CONTENT_TRUST_ROOT_PASSPHRASE: 'root-pass-5678', DOCKER_CONTENT_TRUST_REPOSITORY_PASSPHRASE: 'repo-pass-5678' };
const authFile = join(work.root, 'auth.json');
const emptyAuthFile = join(work.root, 'empty-auth.json');
writeFileSync(emptyAuthFile, '{}');
let v1: { digest: string; size: number } | undefined;

function peers(t: TestContext): { reg: RegistryPeer; srv: NotaryPeer; user: string; password: string } | undefined {
  const reg = registry.get(t);
  const srv = notary.get(t);
  if (!reg || !srv) return undefined;
  assert.equal(srv.auth, 'token', 'the notary peer runs with auth: token');
  assert.ok(reg.user && reg.password, 'the token registry peer has credentials');
  return { reg, srv, user: reg.user, password: reg.password };
}

/** The peers, for tests that build on the first one's signed v1 (under CI its absence is a failure). */
function peersAfterSigning(t: TestContext): ReturnType<typeof peers> {
  const p = peers(t);
  if (p && !v1 && isCI()) assert.fail('the first test did not sign v1');
  return p;
}

/** The registry's credentials for these tests come from auth files, except where a test says otherwise. */
function env(srv: NotaryPeer, file = authFile): Record<string, string | undefined> {
  return { DOCKER_CONFIG: dockerConfig, DOCKER_CONTENT_TRUST_SERVER: srv.url, REGISTRY_AUTH_FILE: file, ...PASS };
}

const b64 = (s: string) => Buffer.from(s).toString('base64');

/** The notary CLI with a trust dir of its own; NOTARY_AUTH (base64 user:password) is how it authenticates without a prompt. */
function notaryCli(srv: NotaryPeer, dir: string, args: string[], extra: Record<string, string> = {}) {
  const e: NodeJS.ProcessEnv = {};
  for (const [k, v] of Object.entries(process.env)) if (!k.startsWith('NOTARY_')) e[k] = v;
  return runTool('notary', ['-s', srv.url, '--tlscacert', srv.ca, '-d', dir, ...args], { env: { ...e, ...extra }, timeoutMs: 60_000 });
}

/** Every file under the trust dir with a hash of its bytes: what "nothing written" is checked against. */
function snapshot(dir: string): Record<string, string> {
  const out: Record<string, string> = {};
  const walk = (d: string) => {
    for (const name of readdirSync(d)) {
      const p = join(d, name);
      if (statSync(p).isDirectory()) walk(p);
      else out[p.slice(dir.length)] = createHash('sha256').update(readFileSync(p)).digest('hex');
    }
  };
  if (existsSync(dir)) walk(dir);
  return out;
}

test('with the registry\'s credentials from auth.json: signer add, sign, inspect and content-trust pull; the notary CLI reads it', async (t) => {
  const p = peers(t);
  if (!p) return;
  const { reg, srv, user, password } = p;
  writeFileSync(authFile, JSON.stringify({ auths: { [reg.host]: { auth: b64(`${user}:${password}`) } } }));
  const gun = `${reg.host}/team/app`;
  const e = env(srv);
  const ca = ['--trust-ca', srv.ca];

  // The server really asks: a request without a token is a 401 with a Bearer challenge.
  const anon = await runTool('curl', ['-sS', '-o', '/dev/null', '-D', '-', '--cacert', srv.ca, `${srv.url}/v2/${gun}/_trust/tuf/root.json`]);
  assert.match(anon.stdout, /^HTTP\/1\.1 401/);
  assert.match(anon.stdout, new RegExp(`www-authenticate: Bearer realm="${reg.raw.TOKEN_URL}",service="${NOTARY_SERVICE}",scope="repository:${gun}:pull"`, 'i'));

  mkdirSync(join(work.root, 'keys'), { recursive: true });
  await imgsealOk(['trust', 'key', 'generate', 'alice', '--dir', join(work.root, 'keys')], { env: e });
  await imgsealOk(['trust', 'signer', 'add', '--key', join(work.root, 'keys', 'alice.pub'), 'alice', gun, ...ca], { env: e });

  const dir = work.dir('img');
  const img = await buildLayout(dir, [{ files: { 'app/version.txt': 'one' }, compression: 'gzip' }], { ref: 'v' });
  await imgsealOk(['copy', '-q', '--dest-tls-verify=false', `oci:${dir}:v`, `docker://${gun}:v1`], { env: e });
  v1 = { digest: img.manifest.digest, size: img.manifestBytes.length };
  const signed = JSON.parse((await imgsealOk(['trust', 'sign', '--tls-verify=false', `${gun}:v1`, ...ca], { env: e })).stdout);
  assert.equal(signed.digest, v1.digest);
  assert.deepEqual(signed.roles.sort(), ['targets/alice', 'targets/releases']);

  // So far only imgseal asked the token server for the notary's service (besides the
  // peer's health probe): always as the registry's user (never anonymously), pull for
  // reads and push,pull for publishing (what notary-server demands), for exactly this GUN.
  const log = readFileSync(join(reg.state, 'token-server.log'), 'utf8').split('\n').filter(Boolean).map((l) => JSON.parse(l) as { status?: number; user?: string; service?: string; scopes?: string[] });
  const forNotary = log.filter((l) => l.status === 200 && l.service === NOTARY_SERVICE && !(l.scopes ?? []).some((x) => x.startsWith('repository:healthcheck/probe:')));
  assert.ok(forNotary.length > 0, 'tokens were issued for the notary service');
  assert.ok(forNotary.every((l) => l.user === user), 'every notary token was issued to the registry user');
  const scopes = new Set(forNotary.flatMap((l) => l.scopes ?? []));
  assert.ok(scopes.has(`repository:${gun}:pull`), [...scopes].join(' '));
  assert.ok(scopes.has(`repository:${gun}:push,pull`), [...scopes].join(' '));
  assert.ok([...scopes].every((s) => s.startsWith(`repository:${gun}:`)), [...scopes].join(' '));

  // The notary CLI, with an empty trust dir and the same credentials in NOTARY_AUTH, lists and sees the signer.
  const cliEnv = { NOTARY_AUTH: b64(`${user}:${password}`) };
  const list = await notaryCli(srv, work.dir('ntrust'), ['list', gun], cliEnv);
  assert.equal(list.code, 0, list.stdout + list.stderr);
  assert.match(list.stdout, new RegExp(`^v1\\s+${v1.digest.slice(7)}\\s+${v1.size}\\s+targets/`, 'm'));
  const dl = await notaryCli(srv, work.dir('ntrust'), ['delegation', 'list', gun], cliEnv);
  assert.equal(dl.code, 0, dl.stdout + dl.stderr);
  assert.match(dl.stdout, /targets\/alice/);

  const inspect = JSON.parse((await imgsealOk(['trust', 'inspect', `${gun}:v1`, ...ca], { env: e })).stdout);
  assert.deepEqual(inspect[0].SignedTags, [{ SignedTag: 'v1', Digest: v1.digest.slice(7), Signers: ['alice'] }]);

  const out = work.dir('pulled');
  await imgsealOk(['copy', '-q', '--content-trust', '--src-tls-verify=false', ...ca, `docker://${gun}:v1`, `oci:${out}:v1`], { env: e });
  assert.equal(JSON.parse(readFileSync(join(out, 'index.json'), 'utf8')).manifests[0].digest, v1.digest);
});

test('without credentials: one line naming the trust server and the 401, and the local trust data stays as it was', async (t) => {
  const p = peersAfterSigning(t);
  if (!p || !v1) return;
  const { reg, srv } = p;
  const gun = `${reg.host}/team/app`;
  const e = env(srv, emptyAuthFile);
  const ca = ['--trust-ca', srv.ca];
  const trustDir = join(dockerConfig, 'trust');
  const before = snapshot(trustDir);
  assert.ok(Object.keys(before).some((f) => f.endsWith('/metadata/root.json')), 'the trust cache holds the repository');

  const noCreds = new RegExp(`from ${srv.host}: the trust server answered 401 Unauthorized; no credentials for ${srv.host} or the registry ${reg.host} \\(use --creds, or imgseal login ${reg.host}\\)`);
  assertOneLineFailure(await imgseal(['trust', 'inspect', gun, ...ca], { env: e }), noCreds, 'inspect without credentials');
  assertOneLineFailure(await imgseal(['trust', 'revoke', `${gun}:v1`, ...ca], { env: e }), noCreds, 'revoke without credentials');
  // A repository with no trust data yet is not initialised either (no root key is made).
  assertOneLineFailure(await imgseal(['trust', 'signer', 'add', '--key', join(work.root, 'keys', 'alice.pub'), 'alice', `${reg.host}/team/other`, ...ca], { env: e }), noCreds, 'signer add without credentials');
  // --no-creds is anonymous even with credentials in the auth file.
  assertOneLineFailure(await imgseal(['trust', 'inspect', '--no-creds', gun, ...ca], { env: env(srv) }), noCreds, 'inspect with --no-creds');
  const refused = work.dir('refused');
  assertOneLineFailure(
    await imgseal(['copy', '-q', '--content-trust', '--src-tls-verify=false', ...ca, `docker://${gun}:v1`, `oci:${refused}:v1`], { env: e }),
    noCreds,
    'content-trust pull without credentials',
  );
  assert.equal(existsSync(refused), false, 'nothing written at the destination');
  assert.deepEqual(snapshot(trustDir), before, 'the trust dir is as it was');

  // A wrong password is one line that does not echo it.
  const wrong = await imgseal(['trust', 'inspect', '--creds', `${p.user}:not-the-password`, gun, ...ca], { env: e });
  const line = assertOneLineFailure(wrong, /the trust server answered 401 Unauthorized; the credentials from --creds were refused: getting a token for .* invalid username\/password$/, 'wrong password');
  assert.doesNotMatch(line, /not-the-password/);
  assert.deepEqual(snapshot(trustDir), before, 'the trust dir is as it was');

  // A user the token server grants only pull: reading works, publishing is refused in one line, nothing changes.
  const readerCreds = ['--creds', READER];
  const seen = JSON.parse((await imgsealOk(['trust', 'inspect', ...readerCreds, gun, ...ca], { env: e })).stdout);
  assert.deepEqual(seen[0].SignedTags.map((x: { SignedTag: string }) => x.SignedTag), ['v1']);
  const afterRead = snapshot(trustDir);
  const denied = await imgseal(['trust', 'revoke', ...readerCreds, `${gun}:v1`, ...ca], { env: e });
  const deniedLine = assertOneLineFailure(denied, new RegExp(`to ${srv.host}: the trust server answered 401 Unauthorized; the credentials from --creds were accepted, but their token does not grant repository:${gun}:(push,pull|pull,push) \\(is the user allowed to publish here\\?\\)`), 'revoke by a pull-only user');
  assert.doesNotMatch(deniedLine, /reader-pass/);
  assert.deepEqual(snapshot(trustDir), afterRead, 'a refused publish changes nothing in the trust dir');
  const stillSigned = JSON.parse((await imgsealOk(['trust', 'inspect', ...readerCreds, gun, ...ca], { env: e })).stdout);
  assert.deepEqual(stillSigned[0].SignedTags.map((x: { SignedTag: string }) => x.SignedTag), ['v1'], 'v1 is still signed on the server');
});

test('where credentials come from: docker\'s config.json, an entry for the trust server itself (which wins), --creds', async (t) => {
  const p = peersAfterSigning(t);
  if (!p || !v1) return;
  const { reg, srv, user, password } = p;
  const gun = `${reg.host}/team/app`;
  const ca = ['--trust-ca', srv.ca];
  const signedTags = (stdout: string) => (JSON.parse(stdout) as Array<{ SignedTags: Array<{ SignedTag: string }> }>)[0]?.SignedTags.map((s) => s.SignedTag);

  // docker's own file: $DOCKER_CONFIG/config.json with the registry's entry (what `docker login REGISTRY` writes).
  const dockerHome = join(work.root, 'docker-login');
  mkdirSync(dockerHome, { recursive: true });
  writeFileSync(join(dockerHome, 'config.json'), JSON.stringify({ auths: { [reg.host]: { auth: b64(`${user}:${password}`) } } }));
  const viaDocker = { ...env(srv), REGISTRY_AUTH_FILE: undefined, XDG_CONFIG_HOME: join(work.root, 'xdg'), XDG_RUNTIME_DIR: undefined, DOCKER_CONFIG: dockerHome };
  assert.deepEqual(signedTags((await imgsealOk(['trust', 'inspect', gun, ...ca], { env: viaDocker })).stdout), ['v1']);

  // Only an entry for the trust server's host, written by `imgseal login HOST` (the notary's /v2/
  // asks for scope registry:catalog:*, which the token request must carry): it is used.
  const own = join(work.root, 'own-auth.json');
  const notaryCerts = join(work.root, 'notary-certs');
  mkdirSync(notaryCerts, { recursive: true });
  writeFileSync(join(notaryCerts, 'ca.crt'), readFileSync(srv.ca));
  const badLogin = await imgseal(['login', '-u', user, '-p', 'not-the-password', '--cert-dir', notaryCerts, '--authfile', own, srv.host]);
  assertOneLineFailure(badLogin, /unauthorized|authentication|credentials|invalid username/i, 'login to the trust server with a wrong password');
  assert.doesNotMatch(badLogin.stderr, /not-the-password/);
  assert.equal(existsSync(own), false);
  await imgsealOk(['login', '-u', user, '-p', password, '--cert-dir', notaryCerts, '--authfile', own, srv.host]);
  assert.deepEqual(Object.keys(JSON.parse(readFileSync(own, 'utf8')).auths), [srv.host]);
  assert.deepEqual(signedTags((await imgsealOk(['trust', 'inspect', gun, ...ca], { env: env(srv, own) })).stdout), ['v1']);
  // Both, and the trust server's entry is wrong: it wins, and the line says which entry was refused.
  const both = join(work.root, 'both-auth.json');
  writeFileSync(both, JSON.stringify({ auths: { [reg.host]: { auth: b64(`${user}:${password}`) }, [srv.host]: { auth: b64(`${user}:stale-password`) } } }));
  const stale = await imgseal(['trust', 'inspect', gun, ...ca], { env: env(srv, both) });
  assertOneLineFailure(stale, new RegExp(`the credentials from the entry for ${srv.host} were refused: .*invalid username/password$`), 'a stale entry for the trust server');

  // --creds (the registry's) go to the trust server too: revoke with them, and the notary CLI sees v1 gone.
  await imgsealOk(['trust', 'revoke', '--creds', `${user}:${password}`, `${gun}:v1`, ...ca], { env: env(srv, emptyAuthFile) });
  const list = await notaryCli(srv, work.dir('ntrust'), ['list', gun], { NOTARY_AUTH: b64(`${user}:${password}`) });
  assert.equal(list.code, 0, list.stdout + list.stderr);
  assert.doesNotMatch(list.stdout, /^v1\s/m);
  const refused = work.dir('revoked');
  const r = await imgseal(['copy', '-q', '--content-trust', '--src-tls-verify=false', ...ca, `docker://${gun}:v1`, `oci:${refused}:v1`], { env: env(srv) });
  assertOneLineFailure(r, /No valid trust data for v1/, 'pull of a revoked tag');
  assert.equal(existsSync(refused), false);
});

test('the notary CLI publishes through the token server (NOTARY_AUTH, the trust dir shared with imgseal); imgseal\'s content-trust pull follows', async (t) => {
  const p = peersAfterSigning(t);
  if (!p || !v1) return;
  const { reg, srv, user, password } = p;
  const gun = `${reg.host}/team/app`;
  const e = env(srv);
  const dir = work.dir('img2');
  const img = await buildLayout(dir, [{ files: { 'app/version.txt': 'two' }, compression: 'gzip' }], { ref: 'v' });
  await imgsealOk(['copy', '-q', '--dest-tls-verify=false', `oci:${dir}:v`, `docker://${gun}:v2`], { env: e });
  const size = img.manifestBytes.length;
  // docker's trust dir is notary's: the CLI signs into `targets` with the key imgseal made when it initialised the repository.
  const add = await notaryCli(srv, join(dockerConfig, 'trust'), ['addhash', '-p', gun, 'v2', String(size), '--sha256', img.manifest.digest.slice(7)], {
    NOTARY_AUTH: b64(`${user}:${password}`),
    NOTARY_TARGETS_PASSPHRASE: PASS.DOCKER_CONTENT_TRUST_REPOSITORY_PASSPHRASE,
    NOTARY_SNAPSHOT_PASSPHRASE: PASS.DOCKER_CONTENT_TRUST_REPOSITORY_PASSPHRASE,
  });
  assert.equal(add.code, 0, add.stdout + add.stderr);
  assert.match(add.stdout, /Successfully published changes/);
  const inspect = JSON.parse((await imgsealOk(['trust', 'inspect', `${gun}:v2`, '--trust-ca', srv.ca], { env: e })).stdout);
  assert.deepEqual(inspect[0].SignedTags, [{ SignedTag: 'v2', Digest: img.manifest.digest.slice(7), Signers: [] }]);
  const out = work.dir('pulled-v2');
  await imgsealOk(['copy', '-q', '--content-trust', '--src-tls-verify=false', '--trust-ca', srv.ca, `docker://${gun}:v2`, `oci:${out}:v2`], { env: e });
  assert.equal(JSON.parse(readFileSync(join(out, 'index.json'), 'utf8')).manifests[0].digest, img.manifest.digest);
});
