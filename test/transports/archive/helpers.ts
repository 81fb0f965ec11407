/**
 * Shared by the archive transport tests: fixture paths (found by walking up from the
 * compiled file, so the tests run from dist/test/… or anywhere else), the real skopeo
 * (a missing skopeo skips the test, or fails it under CI=true), and fixture layouts
 * read straight from disk to feed destinations without the copy pipeline.
 */
import { execFile } from 'node:child_process';
import { existsSync } from 'node:fs';
import { mkdtemp, readFile, readdir, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { Readable } from 'node:stream';
import { fileURLToPath } from 'node:url';
import { promisify } from 'node:util';
import type { TestContext } from 'node:test';
import type { Digest } from '../../../src/model/digest.js';
import type { Descriptor } from '../../../src/model/descriptor.js';
import type { ImageDestination } from '../../../src/transports/types.js';

const run = promisify(execFile);

export function repoRoot(): string {
  let dir = dirname(fileURLToPath(import.meta.url));
  while (!existsSync(join(dir, 'package.json'))) {
    const up = dirname(dir);
    if (up === dir) throw new Error('package.json not found above the test file');
    dir = up;
  }
  return dir;
}

export const FIXTURES = join(repoRoot(), 'test', 'fixtures', 'ocicrypt');
export const PLAIN_BASE = join(FIXTURES, 'plain-base', 'image');
export const PLAIN_TWO_LAYER = join(FIXTURES, 'plain-two-layer', 'image');

let skopeoChecked: Promise<string | undefined> | undefined;

/** Why skopeo cannot be used, or undefined when it can. */
function skopeoMissing(): Promise<string | undefined> {
  skopeoChecked ??= run('skopeo', ['--version']).then(
    () => undefined,
    (err: Error) => `skopeo not runnable: ${err.message}`,
  );
  return skopeoChecked;
}

/** Skips the test when skopeo is missing, except under CI, where that is a failure. */
export async function needSkopeo(t: TestContext): Promise<boolean> {
  const why = await skopeoMissing();
  if (why === undefined) return true;
  if (process.env.CI === 'true') throw new Error(`${why} (required under CI=true)`);
  t.skip(why);
  return false;
}

export async function tempDir(t: TestContext): Promise<string> {
  const dir = await mkdtemp(join(tmpdir(), 'imgseal-archive-test-'));
  t.after(async () => {
    const { rm } = await import('node:fs/promises');
    await rm(dir, { recursive: true, force: true });
  });
  return dir;
}

/** Runs skopeo with an empty auth file, so no user credentials are read. */
export async function skopeo(dir: string, ...args: string[]): Promise<string> {
  const auth = join(dir, '.auth.json');
  if (!existsSync(auth)) await writeFile(auth, '{}');
  const { stdout } = await run('skopeo', args, { env: { ...process.env, REGISTRY_AUTH_FILE: auth }, maxBuffer: 16 << 20 });
  return stdout;
}

export async function sh(cmd: string, args: string[], cwd?: string): Promise<string> {
  const { stdout } = await run(cmd, args, { cwd, maxBuffer: 16 << 20, encoding: 'buffer' });
  return stdout.toString('latin1');
}

export interface FixtureImage {
  manifestBytes: Buffer;
  manifestDigest: Digest;
  manifestMediaType: string;
  config: Descriptor;
  layers: Descriptor[];
  blob(d: Digest): Promise<Buffer>;
}

/** The single image of an OCI layout folder, read from disk. */
export async function readLayout(dir: string): Promise<FixtureImage> {
  const index = JSON.parse(await readFile(join(dir, 'index.json'), 'utf8')) as { manifests: Descriptor[] };
  const top = index.manifests[0] as Descriptor;
  const blob = (d: Digest) => readFile(join(dir, 'blobs', ...d.split(':')));
  const manifestBytes = await blob(top.digest);
  const m = JSON.parse(manifestBytes.toString('utf8')) as { config: Descriptor; layers: Descriptor[] };
  return { manifestBytes, manifestDigest: top.digest, manifestMediaType: top.mediaType, config: m.config, layers: m.layers, blob };
}

/** Writes a fixture image into a destination the way the pipeline does: blobs, manifest, commit. */
export async function feed(dest: ImageDestination, img: FixtureImage): Promise<void> {
  for (const d of [img.config, ...img.layers]) {
    await dest.putBlob(Readable.from([await img.blob(d.digest)]), { digest: d.digest, size: d.size, mediaType: d.mediaType });
  }
  await dest.putManifest({ bytes: img.manifestBytes, digest: img.manifestDigest, mediaType: img.manifestMediaType }, { topLevel: true });
  await dest.commit();
}

/** Collects a stream; fine for the test fixtures' tiny blobs. */
export async function collect(stream: Readable): Promise<Buffer> {
  const chunks: Buffer[] = [];
  for await (const c of stream) chunks.push(c as Buffer);
  return Buffer.concat(chunks);
}

/** A stream that yields some bytes and then fails, as a decryption whose HMAC check fails. */
export function failingStream(): Readable {
  return Readable.from(
    (async function* () {
      yield Buffer.alloc(1000, 1);
      await new Promise((r) => setTimeout(r, 5));
      throw new Error('boom: stream failed mid-blob');
    })(),
  );
}

export async function listDir(dir: string): Promise<string[]> {
  return (await readdir(dir)).filter((n) => n !== '.auth.json').sort();
}
