/**
 * The TUF verifier against metadata notary-server 0.7.0 and docker 28 produced
 * (test/fixtures/notary, see its README): canonical JSON equals notary's bytes, key
 * IDs recompute, every step of the notary CLI session verifies and lists what
 * `notary list` listed, and docker trust's sign and revoke resolve as docker would.
 */
import assert from 'node:assert/strict';
import { existsSync, readFileSync, readdirSync, statSync } from 'node:fs';
import { join } from 'node:path';
import { test } from 'node:test';
import { canonicalJson, parseRoot, resolveTrustedTag, verifyRepository } from '../../src/trust/tuf/index.js';
import { repoRoot } from '../testkit/peers.js';

const FIX = join(repoRoot(), 'test', 'fixtures', 'notary');
const CLI = join(FIX, 'cli-session');
const DCT = join(FIX, 'docker-trust');
// The vectors were made on 2026-11-22; their timestamps expire 14 days later.
const NOW = new Date('2026-11-23T00:00:00Z');
const read = (...p: string[]) => readFileSync(join(...p));

function metadataFiles(dir: string): string[] {
  return readdirSync(dir).flatMap((n) => {
    const p = join(dir, n);
    return statSync(p).isDirectory() ? metadataFiles(p) : /^(root|targets|snapshot|timestamp|releases|alice)\.json$/.test(n) ? [p] : [];
  });
}

test('canonical JSON of every signed part is byte-identical to what notary signed', () => {
  const files = [...metadataFiles(CLI), ...metadataFiles(DCT)];
  assert.ok(files.length >= 25, `found ${files.length} files`);
  for (const f of files) {
    const text = readFileSync(f, 'utf8');
    const start = '{"signed":'.length;
    const end = text.lastIndexOf(',"signatures":');
    assert.ok(text.startsWith('{"signed":') && end > start, f);
    assert.equal(canonicalJson(JSON.parse(text).signed).toString('utf8'), text.slice(start, end), f);
  }
});

test('canonical JSON: UTF-8 key order, only quote and backslash escaped, integers only', () => {
  assert.equal(canonicalJson({ '\uffff': 1, '😀': 2, a: [true, null, 'x"\\\n\u0001é'] }).toString('utf8'), '{"a":[true,null,"x\\"\\\\\n\u0001é"],"\uffff":1,"😀":2}');
  assert.throws(() => canonicalJson({ n: 1.5 }), { code: 'TRUST_METADATA_INVALID' });
});

test('every key in the vectors hashes to its ID; the root key is a certificate for the GUN', () => {
  const root = parseRoot(read(CLI, '01-init', 'root.json'));
  assert.equal(root.signed.keys.size, 4);
  const rootKey = root.signed.keys.get(root.signed.roles.root.keyids[0] as string);
  assert.equal(rootKey?.keytype, 'ecdsa-x509');
  assert.match(rootKey?.certificate?.subject ?? '', /CN=example.com\/test\/app/);
  assert.notEqual(rootKey?.canonicalId, rootKey?.id);
});

/** `notary list` output → name, sha256 hex, size, role. */
function listed(file: string): string[] {
  return readFileSync(join(CLI, file), 'utf8')
    .split('\n')
    .slice(2)
    .filter((l) => l.trim())
    .map((l) => l.trim().split(/\s+/).join(' '))
    .sort();
}

function listOf(repo: ReturnType<typeof verifyRepository>): string[] {
  const out: string[] = [];
  for (const [role, t] of repo.targets) for (const [name, m] of t.signed.targets) out.push(`${name} ${m.hashes.get('sha256')?.toString('hex')} ${m.length} ${role}`);
  return out.sort();
}

test('every step of the notary CLI session verifies and lists what notary listed', () => {
  const root1 = read(CLI, '01-init', 'root.json');
  let last: ReturnType<typeof verifyRepository> | undefined;
  let targets = read(CLI, '01-init', 'targets.json');
  const delegations = new Map<string, Buffer>();
  for (const step of ['01-init', '02-add-v1', '03-addhash-v2', '04-remove-v1', '05-delegation', '06-server-snapshot']) {
    const dir = join(CLI, step);
    if (existsSync(join(dir, 'targets.json'))) targets = read(dir, 'targets.json');
    if (existsSync(join(dir, 'targets', 'releases.json'))) delegations.set('targets/releases', read(dir, 'targets', 'releases.json'));
    const rootChain = existsSync(join(dir, 'root.json')) && step !== '01-init' ? [read(dir, 'root.json')] : [];
    last = verifyRepository({
      gun: 'example.com/test/app',
      now: NOW,
      trustedRoot: root1,
      rootChain,
      timestamp: read(dir, 'timestamp.json'),
      snapshot: read(dir, 'snapshot.json'),
      targets,
      delegations,
      ...(last ? { seen: { timestamp: last.timestamp.signed.version, snapshot: last.snapshot.signed.version } } : {}),
    });
    if (step === '03-addhash-v2') assert.deepEqual(listOf(last), listed('list-after-addhash.txt'));
    if (step === '04-remove-v1') assert.deepEqual(listOf(last), listed('list-after-remove.txt'));
    if (step === '05-delegation') assert.deepEqual(listOf(last), listed('list-after-delegation.txt'));
  }
  // After `notary key rotate snapshot -r`: root v2, approved by root v1's key.
  assert.equal(last?.root.signed.version, 2);
});

function dockerRepo(dir: string) {
  return verifyRepository({
    gun: '127.0.0.1:5000/test/small',
    now: NOW,
    rootChain: [read(dir, 'root.json')],
    timestamp: read(dir, 'timestamp.json'),
    snapshot: read(dir, 'snapshot.json'),
    targets: read(dir, 'targets.json'),
    delegations: new Map([
      ['targets/releases', read(dir, 'targets', 'releases.json')],
      ['targets/alice', read(dir, 'targets', 'alice.json')],
    ]),
  });
}

test('docker trust sign: the tag resolves through targets/releases to the signed digest', () => {
  const repo = dockerRepo(join(DCT, 'after-sign'));
  const inspect = JSON.parse(readFileSync(join(DCT, 'inspect-v1.json'), 'utf8'))[0];
  const t = resolveTrustedTag(repo, 'v1');
  assert.deepEqual(t, { tag: 'v1', digest: `sha256:${inspect.SignedTags[0].Digest}`, length: 345, role: 'targets/releases' });
  // docker shows root.json's key ID for the root, as we parse it.
  assert.deepEqual(repo.root.signed.roles.root.keyids, [inspect.AdministrativeKeys[0].Keys[0].ID]);
});

test('docker trust revoke: the tag no longer resolves', () => {
  const repo = dockerRepo(join(DCT, 'after-revoke'));
  assert.throws(() => resolveTrustedTag(repo, 'v1'), { code: 'TRUST_TARGET_NOT_FOUND' });
});

test('trust inspect prints what docker trust inspect printed, JSON and --pretty', async () => {
  const { inspectTrust, formatTrustPretty } = await import('../../src/trust/inspect.js');
  const repo = dockerRepo(join(DCT, 'after-sign'));
  const want = JSON.parse(readFileSync(join(DCT, 'inspect-v1.json'), 'utf8'));
  const got = inspectTrust(repo, '127.0.0.1:5000/test/small:v1', 'v1');
  assert.deepEqual([got], want);
  const all = inspectTrust(repo, '127.0.0.1:5000/test/small');
  assert.equal(formatTrustPretty(all, '127.0.0.1:5000/test/small'), readFileSync(join(DCT, 'inspect-pretty-after-sign.txt'), 'utf8'));
  const revoked = inspectTrust(dockerRepo(join(DCT, 'after-revoke')), '127.0.0.1:5000/test/small');
  assert.deepEqual(revoked.SignedTags, []);
  assert.match(formatTrustPretty(revoked, '127.0.0.1:5000/test/small'), /^\nNo signatures for 127\.0\.0\.1:5000\/test\/small\n/);
});
