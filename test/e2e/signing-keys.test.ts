/**
 * Issue 9, key cases of simple signing with keys made by gpg 2.2 and checked against
 * skopeo 1.9.3 (containers/image 5.23, gpgme), through the dir: transport (no registry
 * is needed for these; the registry and lookaside flows are in signing-registry and
 * signing-podman):
 *  - a signature by a signing subkey (primary key certify-only), made by
 *    `imgseal copy --sign-by SUBKEY` and by `skopeo copy --sign-by SUBKEY`, is accepted
 *    by imgseal under a policy whose keyPath holds the primary key's export (current
 *    containers/image, PR #2905). skopeo 1.9.3 predates that and rejects it with
 *    "Signature by key SUBKEY is not accepted", which it only says after gpgme found
 *    the signature good; gpgv with the same keyring accepts it.
 *  - a key that expired after signing (signed under gpg's faked-system-time), a key
 *    that had expired before the signature was made, a key revoked after signing:
 *    imgseal rejects each with one line, writes nothing, and skopeo rejects them too
 *    (gpgme status KEY_EXPIRED 0x99 / CERT_REVOKED 0x5e).
 */
import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import { appendFileSync, existsSync, mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { after, before, describe, test } from 'node:test';
import { buildLayout } from '../testkit/image-builder.js';
import { haveTool, requireTool } from '../testkit/tools.js';
import { assertOneLineFailure, imgseal, imgsealOk, runTool, workDir } from './helpers.js';

const work = workDir('sigkeys');
const IDENTITY = 'example.test/app:v1';

/** A throwaway GnuPG home (as test/peers/gpg/make-key.sh makes it: batch, loopback, no passphrase). */
class GpgHome {
  readonly home: string;
  constructor(dir: string) {
    this.home = dir;
    mkdirSync(dir, { recursive: true, mode: 0o700 });
    writeFileSync(join(dir, 'gpg-agent.conf'), 'allow-loopback-pinentry\n');
    writeFileSync(join(dir, 'gpg.conf'), 'pinentry-mode loopback\nbatch\nno-tty\n');
  }
  get env(): NodeJS.ProcessEnv {
    return { ...process.env, GNUPGHOME: this.home };
  }
  gpg(args: string[], input?: Buffer | string): Buffer {
    return execFileSync('gpg', ['--quiet', '--passphrase', '', ...args], { env: this.env, input, stdio: ['pipe', 'pipe', 'pipe'] });
  }
  /** Fingerprints of `email`'s primary key and its subkeys, in gpg's order. */
  fingerprints(email: string): string[] {
    return this.gpg(['--with-colons', '--list-keys', email]).toString().split('\n').filter((l) => l.startsWith('fpr:')).map((l) => l.split(':')[9]!);
  }
  newKey(email: string, usage: string, expire: string, fakedTime?: string): string {
    this.gpg([...(fakedTime ? ['--faked-system-time', fakedTime] : []), '--quick-gen-key', `Key Case <${email}>`, 'ed25519', usage, expire]);
    return this.fingerprints(email)[0]!;
  }
  exportPublic(fpr: string, file: string): string {
    writeFileSync(file, this.gpg(['--export', fpr]));
    return file;
  }
  /** Makes every gpg run (and so imgseal's and skopeo's signing) believe it is `time`. */
  withFakedTime<T>(time: string, fn: () => Promise<T>): Promise<T> {
    const conf = join(this.home, 'gpg.conf');
    const before = readFileSync(conf, 'utf8');
    appendFileSync(conf, `faked-system-time ${time}\n`);
    return fn().finally(() => writeFileSync(conf, before));
  }
  stop(): void {
    execFileSync('gpgconf', ['--kill', 'gpg-agent'], { env: this.env, stdio: 'ignore' });
  }
}

function policy(name: string, keyring: string): string {
  const p = join(work.root, `${name}.json`);
  writeFileSync(p, JSON.stringify({ default: [{ type: 'signedBy', keyType: 'GPGKeys', keyPath: keyring, signedIdentity: { type: 'exactReference', dockerReference: IDENTITY } }] }));
  return p;
}

/** The key ID gpg reads from a signature's one-pass/signature packets. */
function signingKeyIDs(g: GpgHome, sig: string): string[] {
  let out: string;
  try {
    out = execFileSync('gpg', ['--list-packets', sig], { env: g.env, stdio: ['ignore', 'pipe', 'ignore'] }).toString();
  } catch (err) {
    out = String((err as { stdout?: Buffer }).stdout ?? '');
  }
  return [...new Set([...out.matchAll(/keyid ([0-9A-F]{16})/g)].map((m) => m[1]!))];
}

describe('simple signing key cases with gpg and skopeo', { timeout: 300_000 }, () => {
  let g: GpgHome;
  let img: string;

  before(async () => {
    if (!haveTool('gpg')) return;
    g = new GpgHome(work.dir('gnupg'));
    img = work.dir('img');
    await buildLayout(img, [{ files: { 'app.txt': 'key cases\n' }, compression: 'gzip' }]);
  });
  after(() => g?.stop());

  const skopeoCopy = (pol: string, src: string): Promise<{ code: number | null; stderr: string }> =>
    runTool('skopeo', ['--policy', pol, 'copy', '-q', `dir:${src}`, `dir:${work.dir('skopeo-out')}`], { env: g.env });

  test('a signing subkey of a trusted key: imgseal accepts what imgseal and skopeo sign with it; skopeo 1.9.3 does not', async (t) => {
    if (!requireTool('gpg', t) || !requireTool('skopeo', t)) return;
    const primary = g.newKey('sub@example.test', 'cert', 'never');
    g.gpg(['--quick-add-key', primary, 'ed25519', 'sign', 'never']);
    const [fprPrimary, fprSub] = g.fingerprints('sub@example.test');
    assert.equal(fprPrimary, primary);
    assert.ok(fprSub && fprSub !== primary, 'a separate signing subkey');
    const keyring = g.exportPublic(primary, join(work.root, 'sub-primary.gpg'));
    const otherKeyring = g.exportPublic(g.newKey('other@example.test', 'sign', 'never'), join(work.root, 'other.gpg'));

    const byImgseal = work.dir('by-imgseal');
    await imgsealOk(['copy', '-q', '--insecure-policy', '--sign-by', fprSub, '--sign-identity', IDENTITY, `oci:${img}`, `dir:${byImgseal}`], { env: { GNUPGHOME: g.home } });
    const byskopeo = work.dir('by-skopeo');
    const s = await runTool('skopeo', ['--insecure-policy', 'copy', '-q', '--sign-by', fprSub, '--sign-identity', IDENTITY, `oci:${img}`, `dir:${byskopeo}`], { env: g.env });
    assert.equal(s.code, 0, s.stderr);

    for (const [who, dir] of [['imgseal', byImgseal], ['skopeo', byskopeo]] as const) {
      const sig = join(dir, 'signature-1');
      assert.deepEqual(signingKeyIDs(g, sig), [fprSub.slice(24)], `${who}: made by the subkey, not the primary key`);
      const v = await runTool('gpgv', ['--keyring', keyring, sig], { env: g.env });
      assert.equal(v.code, 0, `${who}: gpgv with the primary key's export: ${v.stderr}`);
      const out = work.dir(`ok-${who}`);
      await imgsealOk(['copy', '-q', '--policy', policy(`sub-${who}`, keyring), `dir:${dir}`, `dir:${out}`]);
      assert.deepEqual(readFileSync(join(out, 'signature-1')), readFileSync(sig), `${who}: the signature travels unchanged`);
      const pc = await imgseal(['policy', 'check', '--policy', policy(`sub-pc-${who}`, keyring), `dir:${dir}`]);
      assert.equal(pc.code, 0, pc.stderr);
      assert.match(pc.stdout, /^accepted: dir:/);
      const no = work.dir(`other-${who}`);
      const r = await imgseal(['copy', '-q', '--policy', policy(`sub-other-${who}`, otherKeyring), `dir:${dir}`, `dir:${no}`]);
      assertOneLineFailure(r, new RegExp(`^imgseal: Source image rejected: Invalid GPG signature: signed by key ${fprSub.slice(24)}, which is not a trusted key$`), `${who}: another key`);
      assert.equal(existsSync(no), false, 'nothing written');
      // containers/image 5.23 compares the subkey's fingerprint with the primary keys' fingerprints.
      const sk = await skopeoCopy(policy(`sub-skopeo-${who}`, keyring), dir);
      assert.equal(sk.code, 1, `skopeo 1.9.3 on the ${who} subkey signature`);
      assert.match(sk.stderr, new RegExp(`Source image rejected: Signature by key ${fprSub} is not accepted`));
    }
  });

  test('expired and revoked keys: imgseal rejects with one line and writes nothing; skopeo rejects too', async (t) => {
    if (!requireTool('gpg', t) || !requireTool('skopeo', t)) return;
    const sign = async (fpr: string): Promise<string> => {
      const dir = work.dir('signed');
      await imgsealOk(['copy', '-q', '--insecure-policy', '--sign-by', fpr, '--sign-identity', IDENTITY, `oci:${img}`, `dir:${dir}`], { env: { GNUPGHOME: g.home } });
      return dir;
    };
    const cases: { what: string; fpr: string; dir: string; line: RegExp; gpgme: RegExp }[] = [];

    // 1. Made on 2020-01-01 for one day, signed that noon: valid then, expired since.
    const expired = g.newKey('expired-after@example.test', 'sign', '1d', '20200101T000000');
    const signedThen = await g.withFakedTime('20200101T120000', () => sign(expired));
    cases.push({ what: 'key expired after signing', fpr: expired, dir: signedThen, line: /the key expired on 2020-01-02T00:00:00Z$/, gpgme: /Status:gpgme\.Error\{err:0x7000099\}/ });
    // Signing with it now is refused by gpg, in one line.
    const refused = await imgseal(['copy', '-q', '--insecure-policy', '--sign-by', expired, '--sign-identity', IDENTITY, `oci:${img}`, `dir:${work.dir('never')}`], { env: { GNUPGHOME: g.home } });
    assertOneLineFailure(refused, new RegExp(`^imgseal: signing with key ${expired} through gpg failed: .*[Uu]nusable secret key`), 'signing with an expired key');

    // 2. Signed today with a key whose (later) self-signature says it expired on 2020-01-02.
    const late = g.newKey('expired-before@example.test', 'sign', 'never', '20191231T000000');
    const signedLate = await sign(late);
    g.gpg(['--faked-system-time', '20200101T000000', '--quick-set-expire', late, '1d']);
    cases.push({ what: 'signature made after the key expired', fpr: late, dir: signedLate, line: /the key expired on 2020-01-02T00:00:00Z$/, gpgme: /Status:gpgme\.Error\{err:0x7000099\}/ });

    // 3. Signed, then revoked with the revocation certificate gpg made with the key.
    const revoked = g.newKey('revoked@example.test', 'sign', 'never');
    const signedBeforeRevocation = await sign(revoked);
    const keyringBefore = g.exportPublic(revoked, join(work.root, 'revoked-before.gpg'));
    const cert = readFileSync(join(g.home, 'openpgp-revocs.d', `${revoked}.rev`), 'utf8').replace(/^:-----BEGIN/m, '-----BEGIN');
    g.gpg(['--import'], cert);
    await imgsealOk(['copy', '-q', '--policy', policy('revoked-before', keyringBefore), `dir:${signedBeforeRevocation}`, `dir:${work.dir('before-revocation')}`]);
    cases.push({ what: 'key revoked after signing', fpr: revoked, dir: signedBeforeRevocation, line: /the key is revoked$/, gpgme: /Status:gpgme\.Error\{err:0x700005e\}/ });

    for (const c of cases) {
      const keyring = g.exportPublic(c.fpr, join(work.root, `${c.fpr}.gpg`));
      const pol = policy(`case-${c.fpr}`, keyring);
      const out = work.dir('rejected');
      const r = await imgseal(['copy', '-q', '--policy', pol, `dir:${c.dir}`, `dir:${out}`]);
      assertOneLineFailure(r, new RegExp(`^imgseal: Source image rejected: Invalid GPG signature by ${c.fpr}: ${c.line.source}`), c.what);
      assert.equal(existsSync(out), false, `${c.what}: nothing written`);
      const pc = await imgseal(['policy', 'check', '--policy', pol, `dir:${c.dir}`]);
      assert.equal(pc.code, 1, `${c.what}: policy check exit code`);
      const sk = await skopeoCopy(pol, c.dir);
      assert.equal(sk.code, 1, `${c.what}: skopeo`);
      assert.match(sk.stderr, /Source image rejected: Invalid GPG signature: gpgme\.Signature\{/, `${c.what}: skopeo`);
      assert.match(sk.stderr, c.gpgme, `${c.what}: gpgme status`);
    }
  });
});
