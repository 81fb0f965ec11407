// Helpers for driving `imgseal decoder` the way containerd does: blob on stdin,
// payload (protobuf Any with JSON) on fd 3, plaintext read from stdout.
import { spawn } from 'node:child_process';
import { createHash, randomBytes } from 'node:crypto';
import { copyFileSync, mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { CLI_MAIN, FIXTURES, runCli } from '../testkit/cli.js';
import { buildLayout } from '../testkit/image-builder.js';

export interface LayerDescriptor {
  mediaType: string;
  digest: string;
  size: number;
  annotations?: Record<string, string>;
}

export function sha256(b: Uint8Array): string {
  return `sha256:${createHash('sha256').update(b).digest('hex')}`;
}

function varint(n: number): Buffer {
  const out: number[] = [];
  do {
    let b = n & 0x7f;
    n = Math.floor(n / 128);
    if (n > 0) b |= 0x80;
    out.push(b);
  } while (n > 0);
  return Buffer.from(out);
}

/** An Any as containerd's typeurl marshals imgcrypt's payload. */
export function encodePayload(descriptor: LayerDescriptor, parameters: Record<string, string[]> | null = null, typeUrl = 'io.containerd.ocicrypt.v1.Payload'): Buffer {
  const value = Buffer.from(JSON.stringify({ DecryptConfig: { Parameters: parameters }, Descriptor: descriptor }));
  const t = Buffer.from(typeUrl);
  return Buffer.concat([Buffer.from([0x0a]), varint(t.length), t, Buffer.from([0x12]), varint(value.length), value]);
}

/** The encrypted layer (blob + descriptor) of a skopeo-made fixture (ref `enc`). */
export function fixtureLayer(vector: string, index = 0): { blob: Buffer; descriptor: LayerDescriptor; expected: { plaintext_blob_digest: string } } {
  const dir = join(FIXTURES, vector, 'image');
  const idx = JSON.parse(readFileSync(join(dir, 'index.json'), 'utf8')) as { manifests: { digest: string; annotations?: Record<string, string> }[] };
  const m = idx.manifests.find((x) => x.annotations?.['org.opencontainers.image.ref.name'] === 'enc');
  if (!m) throw new Error(`${vector}: no enc image`);
  const blobPath = (d: string): string => join(dir, 'blobs', 'sha256', d.slice('sha256:'.length));
  const manifest = JSON.parse(readFileSync(blobPath(m.digest), 'utf8')) as { layers: LayerDescriptor[] };
  const descriptor = manifest.layers[index] as LayerDescriptor;
  const expected = (JSON.parse(readFileSync(join(FIXTURES, vector, 'expected.json'), 'utf8')) as { layers: { plaintext_blob_digest: string }[] }).layers[index];
  if (!expected) throw new Error(`${vector}: no expected layer ${index}`);
  return { blob: readFileSync(blobPath(descriptor.digest)), descriptor, expected };
}

/** A key directory `work/name` holding fixture files: { name in the directory: path under FIXTURES }. */
export function fixtureKeyDir(work: string, name: string, files: Record<string, string>): string {
  const dir = join(work, name);
  mkdirSync(dir, { recursive: true });
  for (const [to, from] of Object.entries(files)) copyFileSync(join(FIXTURES, from), join(dir, to));
  return dir;
}

export interface DecoderRun {
  code: number | null;
  stdout: Buffer;
  stderr: string;
}

/**
 * payload: bytes for fd 3, or 'closed' to start the decoder without an fd 3 at all.
 * entry: what node runs (default `imgseal decoder`; DECODER_BUNDLE for the bundled stream processor);
 * program: what runs `entry` (default this node; /bin/sh for a wrapper script).
 */
export function runDecoder(args: string[], stdin: Buffer, payload: Buffer | 'closed', env: Record<string, string> = {}, entry: string[] = [CLI_MAIN, 'decoder'], program = process.execPath): Promise<DecoderRun> {
  return new Promise((resolve, reject) => {
    const stdio: ('pipe' | 'ignore')[] = payload === 'closed' ? ['pipe', 'pipe', 'pipe'] : ['pipe', 'pipe', 'pipe', 'pipe'];
    const child = spawn(program, [...entry, ...args], { env: { ...process.env, IMGSEAL_DEBUG: '', ...env }, stdio, timeout: 120_000 });
    const out: Buffer[] = [];
    let stderr = '';
    child.stdout?.on('data', (d: Buffer) => out.push(d));
    child.stderr?.setEncoding('utf8').on('data', (d: string) => (stderr += d));
    child.on('error', reject);
    child.on('close', (code) => resolve({ code, stdout: Buffer.concat(out), stderr }));
    if (payload !== 'closed') {
      const fd3 = child.stdio[3] as NodeJS.WritableStream;
      fd3.on('error', () => undefined);
      fd3.end(payload);
    }
    child.stdin?.on('error', () => undefined);
    child.stdin?.end(stdin);
  });
}

/**
 * A one-layer image (a tar, uncompressed or zstd, holding a file of `fileBytes` random hex)
 * encrypted by `imgseal copy` to the RSA fixture key, in `work`: the encrypted blob's
 * path, its descriptor, the plaintext layer's digest, and a key directory holding the
 * private key.
 */
export async function encryptedLayer(
  work: string,
  fileBytes: number,
  compression: 'none' | 'zstd' = 'none',
): Promise<{ blobPath: string; descriptor: LayerDescriptor; plainDigest: string; diffId: string; keysDir: string }> {
  const src = join(work, 'src');
  const img = await buildLayout(src, [{ files: { 'layer.bin': randomBytes(fileBytes / 2).toString('hex') }, compression }], { ref: 't' });
  const plainDigest = (img.layers[0] as { desc: { digest: string } }).desc.digest;
  const diffId = (img.layers[0] as { diffId: string }).diffId;
  const enc = join(work, 'enc');
  const c = await runCli(['copy', '--encryption-key', `jwe:${join(FIXTURES, 'jwe-rsa2048/keys/rsa1_pub.pem')}`, `oci:${src}:t`, `oci:${enc}:t`]);
  if (c.code !== 0) throw new Error(`imgseal copy failed: ${c.stderr}`);
  const blob = (d: string): string => join(enc, 'blobs', 'sha256', d.slice(7));
  const index = JSON.parse(readFileSync(join(enc, 'index.json'), 'utf8')) as { manifests: { digest: string }[] };
  const m = JSON.parse(readFileSync(blob((index.manifests[0] as { digest: string }).digest), 'utf8')) as { layers: LayerDescriptor[] };
  const descriptor = m.layers[0] as LayerDescriptor;
  const keysDir = join(work, 'keys');
  mkdirSync(keysDir, { recursive: true });
  writeFileSync(join(keysDir, 'rsa.pem'), readFileSync(join(FIXTURES, 'jwe-rsa2048/keys/rsa1_priv.pem')));
  return { blobPath: blob(descriptor.digest), descriptor, plainDigest, diffId, keysDir };
}
