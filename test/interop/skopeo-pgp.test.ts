// Issue 8 item 2: OpenPGP recipients with live skopeo 1.9.3 both ways, with a fresh
// RSA key made by test/peers/gpg/make-key.sh (skopeo's pgp: needs RSA):
//   skopeo --encryption-key pgp:EMAIL → imgseal decrypts (binary and armored secret key);
//   imgseal pgp:FILE and pgp:EMAIL → skopeo copy --decryption-key secret.gpg decrypts.
// Every decrypted layer is compared with the original files; layerinfo shows the key id.
import assert from 'node:assert/strict';
import { execFile, spawn } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, test } from 'node:test';
import { runCli } from '../testkit/cli.js';
import { buildLayout, type LayerSpec } from '../testkit/image-builder.js';
import { readImage } from '../testkit/image-reader.js';
import { isCI, peersDir } from '../testkit/peers.js';
import { haveTool } from '../testkit/tools.js';

const LAYERS: LayerSpec[] = [
  { files: { 'base.txt': 'public base\n' }, compression: 'gzip' },
  { files: { 'secret.txt': 'the pgp secret layer\n' }, compression: 'none' },
];
const EMAIL = 'imgseal-pgp@example.test';

const tmp = mkdtempSync(join(tmpdir(), 'imgseal-pgp-interop-'));
const authFile = join(tmp, 'auth.json');
writeFileSync(authFile, '{}');
let n = 0;
const dir = (name: string): string => join(tmp, `${name}-${n++}`);

interface GpgPeer {
  state: string;
  home: string;
  fingerprint: string;
  pubAsc: string;
  pubGpg: string;
  secAsc: string;
  secGpg: string;
}
let peer: GpgPeer | undefined;
let reason = 'gpg peer not started';

function script(name: string, args: string[], env: Record<string, string>): Promise<void> {
  return new Promise((resolve, reject) => {
    execFile(join(peersDir(), 'gpg', name), args, { env: { ...process.env, ...env }, timeout: 120_000 }, (err, _o, stderr) =>
      err ? reject(new Error(`${name}: ${err.message}\n${stderr}`)) : resolve(),
    );
  });
}

before(async () => {
  for (const tool of ['skopeo', 'gpg']) {
    if (!haveTool(tool)) {
      reason = `${tool} is not installed`;
      if (isCI()) throw new Error(`${reason} (required when CI=true)`);
      return;
    }
  }
  const state = join(tmp, 'gpg');
  try {
    await script('make-key.sh', [state, EMAIL], { GPG_ALGO: 'rsa2048', GPG_ENCRYPT_SUBKEY: '1', GPG_NAME: 'Imgseal PGP Test' });
  } catch (err) {
    reason = `gpg peer did not start: ${(err as Error).message}`;
    if (isCI()) throw new Error(reason);
    return;
  }
  const raw = JSON.parse(readFileSync(join(state, 'peer.json'), 'utf8')) as Record<string, string>;
  peer = {
    state,
    home: raw.GNUPGHOME!,
    fingerprint: raw.GPG_FINGERPRINT!,
    pubAsc: raw.GPG_PUBKEY_ASC!,
    pubGpg: raw.GPG_PUBKEY_KEYRING!,
    secAsc: raw.GPG_SECRET_ASC!,
    secGpg: raw.GPG_SECRET_KEYRING!,
  };
}, { timeout: 180_000 });

after(async () => {
  if (peer) await script('stop.sh', [peer.state, '--clean'], {}).catch(() => {});
  rmSync(tmp, { recursive: true, force: true });
});

function need(t: { skip(m: string): void }): GpgPeer | undefined {
  if (peer) return peer;
  if (isCI()) throw new Error(`${reason} (CI=true: a missing peer is a failure)`);
  t.skip(reason);
  return undefined;
}

function skopeo(args: string[], env: Record<string, string>): Promise<void> {
  return new Promise((resolve, reject) => {
    const child = spawn('skopeo', args, { env: { ...process.env, REGISTRY_AUTH_FILE: authFile, ...env }, stdio: ['ignore', 'ignore', 'pipe'] });
    let stderr = '';
    child.stderr.setEncoding('utf8').on('data', (d: string) => (stderr += d));
    child.on('error', reject);
    child.on('close', (code) => (code === 0 ? resolve() : reject(new Error(`skopeo ${args.join(' ')} exited ${code}: ${stderr}`))));
  });
}

/** The subkey id that gets the PKESK, as layerinfo prints it. */
function encryptionSubkeyId(p: GpgPeer): Promise<string> {
  return new Promise((resolve, reject) => {
    execFile('gpg', ['--batch', '--homedir', p.home, '--with-colons', '--list-keys', p.fingerprint], (err, stdout) => {
      if (err) return reject(err);
      const sub = stdout.split('\n').find((l) => l.startsWith('sub:') && l.split(':')[11]?.includes('e'));
      if (!sub) return reject(new Error('no encryption subkey'));
      resolve(`0x${sub.split(':')[4]!.toLowerCase().replace(/^0+/, '')}`);
    });
  });
}

const allFiles = Object.assign({}, ...LAYERS.map((l) => l.files)) as Record<string, string>;

describe('skopeo ↔ imgseal, pgp:', { concurrency: 2 }, () => {
  test('skopeo --encryption-key pgp:EMAIL → imgseal decrypts with the binary and the armored secret key', async (t) => {
    const p = need(t);
    if (!p) return;
    const src = dir('src');
    await buildLayout(src, LAYERS);
    const enc = dir('enc');
    await skopeo(['copy', '-q', '--encryption-key', `pgp:${EMAIL}`, `oci:${src}:base`, `oci:${enc}:enc`], { GNUPGHOME: p.home });
    const encImg = await readImage(enc, 'enc');
    for (const l of encImg.layers) assert.ok(l.desc.annotations?.['org.opencontainers.image.enc.keys.pgp'], 'skopeo wrote a pgp key annotation');

    const info = await runCli(['layerinfo', '--json', `oci:${enc}:enc`]);
    assert.equal(info.code, 0, info.stderr);
    const rows = JSON.parse(info.stdout) as { encryption: string[]; recipients: string[] }[];
    const subkey = await encryptionSubkeyId(p);
    for (const r of rows) {
      assert.deepEqual(r.encryption, ['pgp']);
      assert.deepEqual(r.recipients, [subkey]);
    }

    for (const key of [p.secGpg, p.secAsc]) {
      const out = dir('dec');
      const res = await runCli(['decrypt', '-q', '--decryption-key', key, `oci:${enc}:enc`, `oci:${out}:plain`]);
      assert.equal(res.code, 0, res.stderr);
      assert.deepEqual((await readImage(out, 'plain')).files, allFiles, `files restored with ${key}`);
    }
  });

  for (const form of ['pgp:FILE (armored)', 'pgp:FILE (binary)', 'pgp:EMAIL']) {
    test(`imgseal ${form} → skopeo copy --decryption-key secret.gpg decrypts`, async (t) => {
      const p = need(t);
      if (!p) return;
      const src = dir('src');
      const orig = await buildLayout(src, LAYERS);
      const recipient = form === 'pgp:EMAIL' ? `pgp:${EMAIL}` : form.includes('armored') ? `pgp:${p.pubAsc}` : `pgp:${p.pubGpg}`;
      const enc = dir('enc');
      const res = await runCli(['encrypt', '-q', '--encryption-key', recipient, `oci:${src}:base`, `oci:${enc}:enc`], { env: { GNUPGHOME: p.home } });
      assert.equal(res.code, 0, res.stderr);
      const encImg = await readImage(enc, 'enc');
      encImg.layers.forEach((l, i) => {
        assert.equal(l.desc.mediaType, `${orig.layers[i]!.desc.mediaType}+encrypted`);
        assert.ok(l.desc.annotations?.['org.opencontainers.image.enc.keys.pgp']);
      });
      const out = dir('skopeo-dec');
      await skopeo(['copy', '-q', '--decryption-key', p.secGpg, `oci:${enc}:enc`, `oci:${out}:plain`], {});
      assert.deepEqual((await readImage(out, 'plain')).files, allFiles);
    });
  }

  test('pgp:EMAIL not in the keyring → one line, nothing written', async (t) => {
    const p = need(t);
    if (!p) return;
    const src = dir('src');
    await buildLayout(src, LAYERS);
    const enc = dir('enc');
    const res = await runCli(['encrypt', '-q', '--encryption-key', 'pgp:nobody@example.test', `oci:${src}:base`, `oci:${enc}:enc`], { env: { GNUPGHOME: p.home } });
    assert.equal(res.code, 2);
    assert.match(res.stderr, /^imgseal: PGP: No key found for the following recipients: nobody@example\.test/);
    assert.equal(res.stderr.trim().split('\n').length, 1);
    assert.throws(() => readFileSync(join(enc, 'index.json')));
  });
});
