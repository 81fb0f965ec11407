/**
 * Docker Content Trust against a real notary-server 0.7.0 and a real registry: what
 * imgseal publishes, the notary CLI reads (with an empty trust dir); what the notary CLI
 * publishes, imgseal reads; --content-trust pulls only what the trust data signs, by
 * digest, even when the tag moved in the registry.
 */
import assert from 'node:assert/strict';
import { chmodSync, existsSync, mkdirSync, readFileSync, statSync, readdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { test } from 'node:test';
import { assertOneLineFailure, imgseal, imgsealOk, runTool, workDir } from '../e2e/helpers.js';
import { buildLayout } from '../testkit/image-builder.js';
import { useNotaryPeer } from '../testkit/notary.js';
import { peersDir, useRegistryPeer } from '../testkit/peers.js';

const registry = useRegistryPeer('plain');
const notary = useNotaryPeer();
const work = workDir('notary');
const dockerConfig = join(work.root, 'docker');
const PASS = { DOCKER_CONTENT_TRUST_ROOT_PASSPHRASE: 'root-pass-1234', DOCKER_CONTENT_TRUST_REPOSITORY_PASSPHRASE: 'repo-pass-1234' };

function env(peer: { url: string }): Record<string, string> {
  return { DOCKER_CONFIG: dockerConfig, DOCKER_CONTENT_TRUST_SERVER: peer.url, ...PASS };
}

/** The notary CLI with a trust dir of its own (only the CA: it trusts nothing on its own). */
function notaryCli(peer: { url: string; ca: string }, dir: string, args: string[], extraEnv: Record<string, string> = {}) {
  const e: NodeJS.ProcessEnv = {};
  for (const [k, v] of Object.entries(process.env)) if (!k.startsWith('NOTARY_')) e[k] = v;
  return runTool('notary', ['-s', peer.url, '--tlscacert', peer.ca, '-d', dir, ...args], { env: { ...e, ...extraEnv } });
}

async function pushImage(host: string, repoTag: string, content: string): Promise<{ digest: string; size: number }> {
  const dir = work.dir('img');
  const img = await buildLayout(dir, [{ files: { 'app/version.txt': content }, compression: 'gzip' }], { ref: 'v' });
  await imgsealOk(['copy', '-q', '--dest-tls-verify=false', `oci:${dir}:v`, `docker://${host}/${repoTag}`]);
  return { digest: img.manifest.digest, size: img.manifestBytes.length };
}

test('sign, inspect, content-trust pull and revoke, read back by the notary CLI', async (t) => {
  const reg = registry.get(t);
  const srv = notary.get(t);
  if (!reg || !srv) return;
  const gun = `${reg.host}/team/app`;
  const e = env(srv);
  const trustFlags = ['--trust-ca', srv.ca];
  mkdirSync(join(work.root, 'keys'), { recursive: true });

  // A signer key: private part encrypted in the trust dir (0600), public part beside.
  await imgsealOk(['trust', 'key', 'generate', 'alice', '--dir', join(work.root, 'keys')], { env: e });
  const pub = join(work.root, 'keys', 'alice.pub');
  assert.match(readFileSync(pub, 'utf8'), /^-----BEGIN PUBLIC KEY-----\nrole: alice\n\n/);
  const priv = readdirSync(join(dockerConfig, 'trust', 'private'));
  assert.equal(priv.length, 1);
  assert.equal(statSync(join(dockerConfig, 'trust', 'private', priv[0] as string)).mode & 0o777, 0o600);

  // signer add initialises the repository (root + targets on the client, snapshot + timestamp on the server).
  await imgsealOk(['trust', 'signer', 'add', '--key', pub, 'alice', gun, ...trustFlags], { env: e });
  const dl = await notaryCli(srv, work.dir('ntrust'), ['delegation', 'list', gun]);
  assert.equal(dl.code, 0, dl.stderr);
  assert.match(dl.stdout, /targets\/alice/);
  assert.match(dl.stdout, /targets\/releases/);

  const v1 = await pushImage(reg.host, 'team/app:v1', 'one');
  const signed = await imgsealOk(['trust', 'sign', '--tls-verify=false', `${gun}:v1`, ...trustFlags], { env: e });
  assert.deepEqual(JSON.parse(signed.stdout).roles.sort(), ['targets/alice', 'targets/releases']);
  assert.equal(JSON.parse(signed.stdout).digest, v1.digest);

  // The notary CLI, trusting nothing but the CA, lists the target with our digest and size.
  const list = await notaryCli(srv, work.dir('ntrust'), ['list', gun]);
  assert.equal(list.code, 0, list.stderr);
  const row = list.stdout.split('\n').find((l) => l.startsWith('v1 '));
  assert.ok(row, list.stdout);
  assert.match(row as string, new RegExp(`^v1\\s+${v1.digest.slice(7)}\\s+${v1.size}\\s+targets/`));

  const inspect = JSON.parse((await imgsealOk(['trust', 'inspect', `${gun}:v1`, ...trustFlags], { env: e })).stdout);
  assert.deepEqual(inspect[0].SignedTags, [{ SignedTag: 'v1', Digest: v1.digest.slice(7), Signers: ['alice'] }]);
  assert.deepEqual(inspect[0].Signers.map((s: { Name: string }) => s.Name), ['alice']);

  // Content trust pulls the signed digest, even after the tag moved in the registry.
  await pushImage(reg.host, 'team/app:v1', 'moved behind the signer\'s back');
  const out = work.dir('pulled');
  await imgsealOk(['copy', '-q', '--content-trust', '--src-tls-verify=false', ...trustFlags, `docker://${gun}:v1`, `oci:${out}:v1`], { env: e });
  const index = JSON.parse(readFileSync(join(out, 'index.json'), 'utf8'));
  assert.equal(index.manifests[0].digest, v1.digest);
  // Content trust and policy.json both apply: a signed tag the policy rejects is refused, writing nothing.
  const policy = join(work.root, 'reject.json');
  writeFileSync(policy, JSON.stringify({ default: [{ type: 'reject' }] }));
  const rejectedDir = work.dir('rejected');
  const rej = await imgseal(['copy', '-q', '--content-trust', '--policy', policy, '--src-tls-verify=false', ...trustFlags, `docker://${gun}:v1`, `oci:${rejectedDir}:v1`], { env: e });
  assertOneLineFailure(rej, /Source image rejected/, 'trusted but rejected by policy');
  assert.equal(existsSync(rejectedDir), false);
  // Without content trust the moved tag is what comes.
  const plain = work.dir('plain');
  await imgsealOk(['copy', '-q', '--src-tls-verify=false', `docker://${gun}:v1`, `oci:${plain}:v1`], { env: e });
  assert.notEqual(JSON.parse(readFileSync(join(plain, 'index.json'), 'utf8')).manifests[0].digest, v1.digest);

  // Migration off DCT: verify v1 through Notary, check the registry serves that digest, sign exactly it;
  // skopeo then accepts that digest under a signedBy policy, and not the moved tag.
  const gpgState = work.dir('gpg');
  mkdirSync(gpgState, { recursive: true });
  const mk = await runTool('bash', [join(peersDir(), 'gpg', 'make-key.sh'), gpgState, 'migrate@example.test']);
  assert.equal(mk.code, 0, mk.stderr);
  const fpr = readFileSync(join(gpgState, 'fingerprint'), 'utf8').trim();
  const sigstore = join(work.root, 'sigstore');
  const regd = join(work.root, 'registries.d');
  mkdirSync(regd, { recursive: true });
  writeFileSync(join(regd, 'default.yaml'), `default-docker:\n  lookaside: file://${sigstore}\n  lookaside-staging: file://${sigstore}\n`);
  const mig = await imgsealOk(['trust', 'migrate', `${gun}:v1`, '--sign-by', fpr, '--registries.d', regd, '--tls-verify=false', ...trustFlags], { env: { ...e, GNUPGHOME: join(gpgState, 'gnupg') } });
  const report = JSON.parse(mig.stdout)[0];
  assert.equal(report.complete, true);
  assert.deepEqual({ ...report.tags[0], signedWith: report.tags[0].signedWith.length }, { tag: 'v1', digest: v1.digest, size: v1.size, trustedIn: 'targets/releases', signers: ['alice'], signedWith: 1 });
  const signedBy = join(work.root, 'signed-by.json');
  writeFileSync(signedBy, JSON.stringify({ default: [{ type: 'reject' }], transports: { docker: { [gun]: [{ type: 'signedBy', keyType: 'GPGKeys', keyPath: join(gpgState, 'pubkey.gpg') }] }, oci: { '': [{ type: 'insecureAcceptAnything' }] } } }));
  const skOk = await runTool('skopeo', ['--policy', signedBy, '--registries.d', regd, 'copy', '--remove-signatures', '--src-tls-verify=false', `docker://${gun}@${v1.digest}`, `oci:${work.dir('sk-migrated')}:v1`]);
  assert.equal(skOk.code, 0, skOk.stderr);
  const skMoved = await runTool('skopeo', ['--policy', signedBy, '--registries.d', regd, 'copy', '--remove-signatures', '--src-tls-verify=false', `docker://${gun}:v1`, `oci:${work.dir('sk-moved')}:v1`]);
  assert.notEqual(skMoved.code, 0, 'the moved tag carries no signature');
  assert.match(skMoved.stderr, /Source image rejected/);

  // The same migration into a cosign-style signature: a .sig attachment beside the image,
  // which imgseal accepts under sigstoreSigned with that key, and refuses with another.
  const COSIGN = { COSIGN_PASSWORD: 'cosign-pass-1234' };
  await imgsealOk(['generate-sigstore-key', '--output-prefix', join(work.root, 'mig-a')], { env: COSIGN });
  await imgsealOk(['generate-sigstore-key', '--output-prefix', join(work.root, 'mig-b')], { env: COSIGN });
  const regdSig = join(work.root, 'registries.d-sigstore');
  mkdirSync(regdSig, { recursive: true });
  writeFileSync(join(regdSig, 'default.yaml'), `default-docker:\n  lookaside: file://${sigstore}\n  use-sigstore-attachments: true\n`);
  const migSig = await imgsealOk(['trust', 'migrate', `${gun}:v1`, '--sign-by-sigstore-private-key', join(work.root, 'mig-a.private'), '--registries.d', regdSig, '--tls-verify=false', ...trustFlags], { env: { ...e, ...COSIGN } });
  const sigReport = JSON.parse(migSig.stdout)[0];
  assert.equal(sigReport.complete, true);
  assert.equal(sigReport.tags[0].digest, v1.digest);
  assert.equal(sigReport.tags[0].signedWith.length, 1);
  const attachment = await runTool('skopeo', ['inspect', '--raw', '--tls-verify=false', `docker://${gun}:${v1.digest.replace(':', '-')}.sig`]);
  assert.equal(attachment.code, 0, attachment.stderr);
  assert.deepEqual(JSON.parse(attachment.stdout).layers.map((l: { mediaType: string }) => l.mediaType), ['application/vnd.dev.cosign.simplesigning.v1+json']);
  const sigPolicy = (pubFile: string): string => {
    const f = join(work.root, `sigstore-${pubFile.endsWith('mig-a.pub') ? 'a' : 'b'}.json`);
    writeFileSync(f, JSON.stringify({ default: [{ type: 'reject' }], transports: { docker: { [gun]: [{ type: 'sigstoreSigned', keyPath: pubFile }] }, oci: { '': [{ type: 'insecureAcceptAnything' }] } } }));
    return f;
  };
  await imgsealOk(['copy', '-q', '--remove-signatures', '--policy', sigPolicy(join(work.root, 'mig-a.pub')), '--registries.d', regdSig, '--src-tls-verify=false', `docker://${gun}@${v1.digest}`, `oci:${work.dir('sig-migrated')}:v1`], { env: e });
  const wrongKeyDir = work.dir('sig-wrong-key');
  const wrongKey = await imgseal(['copy', '-q', '--remove-signatures', '--policy', sigPolicy(join(work.root, 'mig-b.pub')), '--registries.d', regdSig, '--src-tls-verify=false', `docker://${gun}@${v1.digest}`, `oci:${wrongKeyDir}:v1`], { env: e });
  assertOneLineFailure(wrongKey, /Source image rejected/, 'a sigstore signature by another key');
  assert.equal(existsSync(wrongKeyDir), false);

  // Revoke: no signature left, and content trust refuses the tag, writing nothing.
  await imgsealOk(['trust', 'revoke', `${gun}:v1`, ...trustFlags], { env: e });
  const after = JSON.parse((await imgsealOk(['trust', 'inspect', gun, ...trustFlags], { env: e })).stdout);
  assert.deepEqual(after[0].SignedTags, []);
  const refused = work.dir('refused');
  const r = await imgseal(['copy', '-q', '--content-trust', '--src-tls-verify=false', ...trustFlags, `docker://${gun}:v1`, `oci:${refused}:v1`], { env: e });
  assertOneLineFailure(r, /No valid trust data for v1/, 'pull of a revoked tag');
  assert.equal(existsSync(refused), false);

  // A wrong passphrase is one line that does not echo it, and publishes nothing.
  await pushImage(reg.host, 'team/app:v2', 'two');
  const bad = await imgseal(['trust', 'sign', '--tls-verify=false', `${gun}:v2`, ...trustFlags], { env: { ...e, DOCKER_CONTENT_TRUST_REPOSITORY_PASSPHRASE: 'not-the-passphrase' } });
  assertOneLineFailure(bad, /wrong passphrase/, 'sign with a wrong passphrase');
  assert.doesNotMatch(bad.stderr, /not-the-passphrase/);
  const still = JSON.parse((await imgsealOk(['trust', 'inspect', gun, ...trustFlags], { env: e })).stdout);
  assert.deepEqual(still[0].SignedTags, []);

  // signer remove: the delegation is gone for the notary CLI too.
  await imgsealOk(['trust', 'signer', 'remove', 'alice', gun, ...trustFlags], { env: e });
  const dl2 = await notaryCli(srv, work.dir('ntrust'), ['delegation', 'list', gun]);
  assert.equal(dl2.code, 0, dl2.stderr);
  assert.doesNotMatch(dl2.stdout, /targets\/alice/);
});

test('a repository without trust data is refused in docker\'s words, and nothing is written', async (t) => {
  const reg = registry.get(t);
  const srv = notary.get(t);
  if (!reg || !srv) return;
  await pushImage(reg.host, 'team/unsigned:v1', 'unsigned');
  const out = work.dir('unsigned');
  const r = await imgseal(['copy', '-q', '--src-tls-verify=false', '--trust-ca', srv.ca, `docker://${reg.host}/team/unsigned:v1`, `oci:${out}:v1`], { env: { ...env(srv), DOCKER_CONTENT_TRUST: '1' } });
  assertOneLineFailure(r, new RegExp(`remote trust data does not exist for ${reg.host}/team/unsigned`), 'unsigned pull');
  assert.equal(existsSync(out), false);
  // By digest is allowed, as docker allows it.
  const img = await pushImage(reg.host, 'team/unsigned:v2', 'by digest');
  await imgsealOk(['copy', '-q', '--src-tls-verify=false', '--trust-ca', srv.ca, `docker://${reg.host}/team/unsigned@${img.digest}`, `oci:${out}:v1`], { env: { ...env(srv), DOCKER_CONTENT_TRUST: '1' } });
  // trust sign on a repository without trust data initialises it (no delegations: the tag goes into targets).
  const cfg = { ...env(srv), DOCKER_CONFIG: join(work.root, 'fresh-docker') };
  const r2 = JSON.parse((await imgsealOk(['trust', 'sign', '--tls-verify=false', '--trust-ca', srv.ca, `${reg.host}/team/unsigned:v2`], { env: cfg })).stdout);
  assert.deepEqual(r2.roles, ['targets']);
  const out2 = work.dir('after-init');
  await imgsealOk(['copy', '-q', '--src-tls-verify=false', '--trust-ca', srv.ca, `docker://${reg.host}/team/unsigned:v2`, `oci:${out2}:v2`], { env: { ...cfg, DOCKER_CONTENT_TRUST: '1' } });
  assert.equal(JSON.parse(readFileSync(join(out2, 'index.json'), 'utf8')).manifests[0].digest, img.digest);
});

test('what the notary CLI publishes (client-held snapshot key), imgseal reads and signs into', async (t) => {
  const reg = registry.get(t);
  const srv = notary.get(t);
  if (!reg || !srv) return;
  const gun = `${reg.host}/team/cli`;
  // One trust dir for both tools: docker's layout is notary's.
  const cfg = join(work.root, 'shared-docker');
  const trustDir = join(cfg, 'trust');
  const pass = { NOTARY_ROOT_PASSPHRASE: PASS.DOCKER_CONTENT_TRUST_ROOT_PASSPHRASE, NOTARY_TARGETS_PASSPHRASE: PASS.DOCKER_CONTENT_TRUST_REPOSITORY_PASSPHRASE, NOTARY_SNAPSHOT_PASSPHRASE: PASS.DOCKER_CONTENT_TRUST_REPOSITORY_PASSPHRASE };
  const init = await notaryCli(srv, trustDir, ['init', '-p', gun], pass);
  assert.equal(init.code, 0, init.stderr);
  const v1 = await pushImage(reg.host, 'team/cli:v1', 'cli one');
  const add = await notaryCli(srv, trustDir, ['addhash', '-p', gun, 'v1', String(v1.size), '--sha256', v1.digest.slice(7)], pass);
  assert.equal(add.code, 0, add.stderr);
  const e = { DOCKER_CONFIG: cfg, DOCKER_CONTENT_TRUST_SERVER: srv.url, ...PASS };
  // Without --trust-ca the CA comes from docker's place, $DOCKER_CONFIG/tls/HOST:PORT/*.crt; without it TLS fails.
  const noCa = await imgseal(['trust', 'inspect', `${gun}:v1`], { env: e });
  assertOneLineFailure(noCa, /certificate/, 'trust server with an unknown CA');
  mkdirSync(join(cfg, 'tls', srv.host), { recursive: true });
  writeFileSync(join(cfg, 'tls', srv.host, 'ca.crt'), readFileSync(srv.ca));
  const viaTlsDir = JSON.parse((await imgsealOk(['trust', 'inspect', `${gun}:v1`], { env: e })).stdout);
  assert.equal(viaTlsDir[0].SignedTags[0].SignedTag, 'v1');
  const inspect = JSON.parse((await imgsealOk(['trust', 'inspect', `${gun}:v1`, '--trust-ca', srv.ca], { env: e })).stdout);
  assert.deepEqual(inspect[0].SignedTags, [{ SignedTag: 'v1', Digest: v1.digest.slice(7), Signers: [] }]);
  // imgseal signs v2 with the targets and snapshot keys notary left in the trust dir.
  const v2 = await pushImage(reg.host, 'team/cli:v2', 'cli two');
  await imgsealOk(['trust', 'sign', '--tls-verify=false', `${gun}:v2`, '--trust-ca', srv.ca], { env: e });
  const list = await notaryCli(srv, work.dir('ntrust'), ['list', gun]);
  assert.equal(list.code, 0, list.stderr);
  assert.match(list.stdout, new RegExp(`v2\\s+${v2.digest.slice(7)}\\s+${v2.size}\\s+targets`));
  assert.match(list.stdout, new RegExp(`v1\\s+${v1.digest.slice(7)}`));

  // A reader with a trust cache of its own follows the notary CLI through a delegation
  // and a root rotation (root v2 must be approved by the cached root v1).
  const reader = { DOCKER_CONFIG: join(work.root, 'reader-docker'), DOCKER_CONTENT_TRUST_SERVER: srv.url };
  const before = JSON.parse((await imgsealOk(['trust', 'inspect', gun, '--trust-ca', srv.ca], { env: reader })).stdout);
  assert.deepEqual(before[0].SignedTags.map((x: { SignedTag: string }) => x.SignedTag), ['v1', 'v2']);
  const certDir = work.dir('releases');
  mkdirSync(certDir, { recursive: true });
  const gen = await runTool('openssl', ['req', '-x509', '-newkey', 'ec', '-pkeyopt', 'ec_paramgen_curve:prime256v1', '-nodes', '-keyout', join(certDir, 'releases.key'), '-out', join(certDir, 'releases.crt'), '-days', '365', '-subj', '/CN=releases-signer']);
  assert.equal(gen.code, 0, gen.stderr);
  chmodSync(join(certDir, 'releases.key'), 0o600);
  const dpass = { ...pass, NOTARY_DELEGATION_PASSPHRASE: PASS.DOCKER_CONTENT_TRUST_REPOSITORY_PASSPHRASE };
  await notaryCli(srv, trustDir, ['key', 'import', join(certDir, 'releases.key'), '-r', 'targets/releases'], dpass);
  const del = await notaryCli(srv, trustDir, ['delegation', 'add', '-p', gun, 'targets/releases', join(certDir, 'releases.crt'), '--all-paths'], dpass);
  assert.equal(del.code, 0, del.stderr);
  const v3 = await pushImage(reg.host, 'team/cli:v3', 'cli three');
  const add3 = await notaryCli(srv, trustDir, ['addhash', '-p', gun, 'v3', String(v3.size), '--sha256', v3.digest.slice(7), '-r', 'targets/releases'], dpass);
  assert.equal(add3.code, 0, add3.stderr);
  const rot = await notaryCli(srv, trustDir, ['key', 'rotate', gun, 'snapshot', '-r'], dpass);
  assert.equal(rot.code, 0, rot.stderr);
  const after = JSON.parse((await imgsealOk(['trust', 'inspect', `${gun}:v3`, '--trust-ca', srv.ca], { env: reader })).stdout);
  assert.deepEqual(after[0].SignedTags, [{ SignedTag: 'v3', Digest: v3.digest.slice(7), Signers: [] }]);
  const root = JSON.parse(readFileSync(join(reader.DOCKER_CONFIG, 'trust', 'tuf', ...gun.split('/'), 'metadata', 'root.json'), 'utf8'));
  assert.equal(root.signed.version, 2);
  const out = work.dir('v3');
  await imgsealOk(['copy', '-q', '--content-trust', '--src-tls-verify=false', '--trust-ca', srv.ca, `docker://${gun}:v3`, `oci:${out}:v3`], { env: reader });
  assert.equal(JSON.parse(readFileSync(join(out, 'index.json'), 'utf8')).manifests[0].digest, v3.digest);
});


