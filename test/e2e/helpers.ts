/**
 * Shared bits of the end-to-end tests (issue 4 through the CLI): the built CLI run
 * with a private HOME and an empty auth file, skopeo with an empty auth file, the
 * per-variant registry flags (the same names for skopeo and imgseal), fixture keys,
 * and comparisons of what a tool wrote with what the test kit built.
 */
import assert from 'node:assert/strict';
import { execFile } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after } from 'node:test';
import { FIXTURES, runCli, type CliResult } from '../testkit/cli.js';
import type { BuiltImage, MultiArch } from '../testkit/image-builder.js';
import type { ReadImage, ReadIndex } from '../testkit/image-reader.js';
import type { RegistryPeer } from '../testkit/peers.js';

export const KEYS = {
  rsa: { pub: join(FIXTURES, 'jwe-rsa2048/keys/rsa1_pub.pem'), priv: join(FIXTURES, 'jwe-rsa2048/keys/rsa1_priv.pem') },
  ec: { pub: join(FIXTURES, 'jwe-ec-p256/keys/ec_p256_pub.pem'), priv: join(FIXTURES, 'jwe-ec-p256/keys/ec_p256_priv.pem') },
  /** Not a recipient of anything these tests encrypt. */
  other: { pub: join(FIXTURES, 'jwe-two-recipients/keys/rsa2_pub.pem'), priv: join(FIXTURES, 'jwe-two-recipients/keys/rsa2_priv.pem') },
};

/** Both recipients (RSA and EC) as encryption flags. */
export const ENC_RSA_EC = ['--encryption-key', `jwe:${KEYS.rsa.pub}`, '--encryption-key', `jwe:${KEYS.ec.pub}`];

/**
 * A work folder for one test file, removed in an after hook. The path is lowercase
 * (hex) on purpose: buildah names an image pulled from `oci:PATH` after the path.
 */
export function workDir(label: string): { root: string; dir: (name: string) => string } {
  const root = join(tmpdir(), `imgseal-e2e-${label}-${randomBytes(4).toString('hex')}`);
  mkdirSync(root, { recursive: true });
  after(() => rmSync(root, { recursive: true, force: true }));
  let n = 0;
  return { root, dir: (name: string) => join(root, `${name}-${n++}`) };
}

let isolated: { home: string; authFile: string } | undefined;

/** A private HOME with an empty auth.json, shared by the CLI and skopeo runs of a file. */
export function isolation(): { home: string; authFile: string } {
  if (!isolated) {
    const home = mkdtempSync(join(tmpdir(), 'imgseal-e2e-home-'));
    const authFile = join(home, 'auth.json');
    writeFileSync(authFile, '{}');
    isolated = { home, authFile };
    process.on('exit', () => rmSync(home, { recursive: true, force: true }));
  }
  return isolated;
}

/** The environment nothing from this machine's credentials leaks into. */
export function isolatedEnv(extra: Record<string, string | undefined> = {}): Record<string, string | undefined> {
  const { home, authFile } = isolation();
  return { HOME: home, REGISTRY_AUTH_FILE: authFile, XDG_RUNTIME_DIR: undefined, DOCKER_CONFIG: undefined, ...extra };
}

/** The built CLI with the isolated environment. */
export function imgseal(args: string[], opts: { env?: Record<string, string | undefined>; timeoutMs?: number } = {}): Promise<CliResult> {
  return runCli(args, { env: isolatedEnv(opts.env), timeoutMs: opts.timeoutMs ?? 90_000 });
}

/** Like imgseal() but the command must succeed. */
export async function imgsealOk(args: string[], opts: { env?: Record<string, string | undefined> } = {}): Promise<CliResult> {
  const r = await imgseal(args, opts);
  assert.equal(r.code, 0, `imgseal ${args.join(' ')} failed:\n${r.stderr}`);
  return r;
}

/** The lines a failed command printed on stderr (progress is off with -q). */
export function stderrLines(r: CliResult): string[] {
  return r.stderr.split('\n').filter((l) => l.trim() !== '');
}

/** Asserts exit 1 and exactly one `imgseal: …` line on stderr matching `re`; returns it. */
export function assertOneLineFailure(r: CliResult, re: RegExp, what: string): string {
  const lines = stderrLines(r);
  assert.equal(r.code, 1, `${what}: exit code (stderr: ${r.stderr})`);
  assert.equal(lines.length, 1, `${what}: one line on stderr, got:\n${r.stderr}`);
  const line = lines[0]!;
  assert.match(line, /^imgseal: /, what);
  assert.match(line, re, what);
  assert.equal(r.stdout, '', `${what}: nothing on stdout`);
  return line;
}

export interface ToolResult {
  code: number | null;
  stdout: string;
  stderr: string;
}

/** Runs a program; never rejects on a non-zero exit. */
export function runTool(cmd: string, args: string[], opts: { env?: NodeJS.ProcessEnv; cwd?: string; timeoutMs?: number } = {}): Promise<ToolResult> {
  return new Promise((resolve, reject) => {
    execFile(cmd, args, { env: opts.env ?? process.env, cwd: opts.cwd, timeout: opts.timeoutMs ?? 120_000, maxBuffer: 32 << 20 }, (err, stdout, stderr) => {
      if (err && typeof (err as { code?: unknown }).code !== 'number') {
        reject(err);
        return;
      }
      resolve({ code: err ? ((err as { code?: number }).code ?? 1) : 0, stdout: String(stdout), stderr: String(stderr) });
    });
  });
}

/** skopeo with the isolated auth file; rejects with its stderr on failure. */
export async function skopeo(args: string[]): Promise<string> {
  const r = await runTool('skopeo', args, { env: { ...process.env, REGISTRY_AUTH_FILE: isolation().authFile } });
  if (r.code !== 0) throw new Error(`skopeo ${args.join(' ')} exited ${r.code}: ${r.stderr}`);
  return r.stdout;
}

/**
 * Registry flags for a peer variant. skopeo copy and imgseal copy share the names:
 * `--src-tls-verify=false` (plain HTTP), `--src-cert-dir`, `--src-creds` (and `--dest-…`).
 */
export function regFlags(peer: RegistryPeer, role: 'src' | 'dest', opts: { creds?: boolean } = {}): string[] {
  const out: string[] = [];
  if (!peer.tls) out.push(`--${role}-tls-verify=false`);
  if (peer.certDir) out.push(`--${role}-cert-dir`, peer.certDir);
  if ((opts.creds ?? true) && peer.user && peer.password) out.push(`--${role}-creds`, `${peer.user}:${peer.password}`);
  return out;
}

/** Files of all layers of a built image (upper layers win). */
export function builtFiles(img: BuiltImage): Record<string, string> {
  return Object.assign({}, ...img.layers.map((l) => l.files)) as Record<string, string>;
}

/**
 * Which layer blobs must be byte-identical to the originals: `all`, or only the
 * originally gzip-compressed ones (`gzip`: skopeo gzips an uncompressed layer when it
 * writes to `oci:` and when it encrypts), or none (compare uncompressed tars only).
 */
export type SameBlobs = 'all' | 'gzip' | 'none';

/** A pulled (and decrypted, if it was encrypted) image is the original: config, files, uncompressed tars, blobs. */
export function assertSameImage(got: ReadImage, orig: BuiltImage, what: string, opts: { sameBlobs?: SameBlobs } = {}): void {
  assert.equal(got.manifest.config.digest, orig.config.digest, `${what}: config unchanged`);
  assert.deepEqual(got.files, builtFiles(orig), `${what}: files restored`);
  assert.equal(got.layers.length, orig.layers.length, `${what}: layer count`);
  got.layers.forEach((l, i) => {
    const o = orig.layers[i]!;
    assert.ok(!l.desc.mediaType.endsWith('+encrypted'), `${what}: layer ${i} is plaintext`);
    assert.equal(l.diffId, o.diffId, `${what}: layer ${i} has the original uncompressed tar`);
    const same = opts.sameBlobs ?? 'all';
    if (same === 'all' || (same === 'gzip' && o.desc.mediaType.endsWith('+gzip'))) {
      assert.equal(l.desc.digest, o.desc.digest, `${what}: layer ${i} blob digest`);
      assert.equal(l.desc.mediaType, o.desc.mediaType, `${what}: layer ${i} media type`);
      assert.deepEqual(l.blob, o.blob, `${what}: layer ${i} bytes`);
    }
  });
}

/** Every layer of an image read back is encrypted (JWE), and its ciphertext is not the plaintext. */
export function assertEncrypted(got: ReadImage, orig: BuiltImage, what: string): void {
  assert.equal(got.layers.length, orig.layers.length, `${what}: layer count`);
  got.layers.forEach((l, i) => {
    assert.match(l.desc.mediaType, /\+encrypted$/, `${what}: layer ${i} encrypted`);
    assert.ok(l.desc.annotations?.['org.opencontainers.image.enc.keys.jwe'], `${what}: layer ${i} has a JWE key annotation`);
    assert.ok(!l.blob.includes(Buffer.from(Object.values(orig.layers[i]!.files)[0]!)), `${what}: layer ${i} ciphertext hides the plaintext`);
  });
}

/** A pulled index has both platforms with the original files (and, with sameBlobs, the original bytes). */
export function assertSameIndex(got: ReadIndex, orig: MultiArch, what: string, opts: { sameBlobs?: SameBlobs; sameIndex?: boolean } = {}): void {
  if (opts.sameIndex) assert.equal(got.desc.digest, orig.index.digest, `${what}: index digest unchanged`);
  assert.deepEqual([...got.images.keys()].sort(), ['linux/amd64', 'linux/arm64'], `${what}: platforms`);
  for (const o of orig.images) {
    const img = got.images.get(`${o.platform.os}/${o.platform.architecture}`);
    assert.ok(img, `${what}: ${o.platform.architecture} present`);
    assertSameImage(img, o, `${what} (${o.platform.architecture})`, opts);
  }
}
