/**
 * The lookaside store (spec §2.1): `BASE/REPO@ALGO=HEX/signature-N`, REPO being the
 * repository path without the registry host. Reading over file://, http:// and
 * https:// (through the shared HTTP layer) fetches signature-1, -2, … until the first
 * missing one; any other failure is an error (an unreachable store must not look like
 * "unsigned" to a policy that would then say so — it fails the copy). Writing is
 * file:// only and never overwrites: signatures already there are kept, new ones get
 * the next free numbers, each written to a temp file and linked into place.
 */
import { randomBytes } from 'node:crypto';
import { link, mkdir, readFile, rm, stat, writeFile } from 'node:fs/promises';
import { fileURLToPath } from 'node:url';
import { join } from 'node:path';
import { ImgsealError } from '../errors.js';
import { HttpClient, readLimited, discard, type HttpContext } from '../http/index.js';
import { parseDigest, type Digest } from '../model/digest.js';
import type { UntrustedSignature } from '../transports/types.js';
import { parseStoredSignature, serializeStoredSignature } from './storage-format.js';

/** containers/image's iolimits.MaxSignatureBodySize. */
export const MAX_SIGNATURE_BYTES = 4 << 20;

/** The URL of signature `n` under `base`. */
export function lookasideUrl(base: string, repository: string, digest: Digest, n: number): URL {
  const { algorithm, hex } = parseDigest(digest);
  const u = new URL(base);
  const path = u.pathname.replace(/\/+$/, '');
  u.pathname = `${path}/${repository}@${algorithm}=${hex}/signature-${n}`;
  return u;
}

async function readFileSignature(url: URL): Promise<Buffer | undefined> {
  const path = fileURLToPath(url);
  try {
    const st = await stat(path);
    if (st.size > MAX_SIGNATURE_BYTES) throw new ImgsealError('SIGNATURE_INVALID', `signature ${path} is larger than ${MAX_SIGNATURE_BYTES} bytes`);
    return await readFile(path);
  } catch (err) {
    if (err instanceof ImgsealError) throw err;
    if ((err as NodeJS.ErrnoException).code === 'ENOENT') return undefined;
    throw new ImgsealError('IO_ERROR', `reading signature ${path}: ${(err as NodeJS.ErrnoException).code ?? (err as Error).message}`);
  }
}

/** Reads every signature of `digest`. */
export async function readLookaside(base: string, repository: string, digest: Digest, ctx: HttpContext, signal?: AbortSignal): Promise<UntrustedSignature[]> {
  const first = lookasideUrl(base, repository, digest, 1);
  const out: UntrustedSignature[] = [];
  if (first.protocol === 'file:') {
    for (let n = 1; ; n++) {
      const url = lookasideUrl(base, repository, digest, n);
      const blob = await readFileSignature(url);
      if (!blob) return out;
      out.push(parseStoredSignature(blob, url.toString()));
    }
  }
  if (first.protocol !== 'http:' && first.protocol !== 'https:') {
    throw new ImgsealError('REGISTRIES_D_INVALID', `lookaside ${base}: unsupported URL scheme ${first.protocol} (file, http and https are)`);
  }
  // The store is a plain web server: registry credentials are not sent to it.
  const client = await HttpClient.open({ host: first.host, scopes: [], ctx: { ...ctx, noCredentials: true, registryToken: undefined, credentials: undefined } });
  try {
    for (let n = 1; ; n++) {
      const url = lookasideUrl(base, repository, digest, n);
      const what = `reading signature from ${url.toString()}`;
      const res = await client.send({ method: 'GET', path: url.toString(), what, expect: [200, 404], noAuth: true, ...(signal ? { signal } : {}) }, url.origin);
      if (res.statusCode === 404) {
        await discard(res.body);
        return out;
      }
      const blob = await readLimited(res.body, MAX_SIGNATURE_BYTES, what);
      out.push(parseStoredSignature(blob, url.toString()));
    }
  } finally {
    await client.close();
  }
}

/** Adds `signatures` for `digest` under a file:// base, keeping what is there. */
export async function writeLookaside(base: string, repository: string, digest: Digest, signatures: UntrustedSignature[]): Promise<void> {
  const first = lookasideUrl(base, repository, digest, 1);
  if (first.protocol !== 'file:') {
    throw new ImgsealError(
      'SIGNATURES_NOT_SUPPORTED',
      `Writing directly to a ${first.protocol.replace(':', '')} lookaside ${base} is not supported. Configure a lookaside-staging: location`,
    );
  }
  const existing: Buffer[] = [];
  let n = 1;
  for (; ; n++) {
    const blob = await readFileSignature(lookasideUrl(base, repository, digest, n));
    if (!blob) break;
    existing.push(blob);
  }
  const dir = join(fileURLToPath(first), '..');
  await mkdir(dir, { recursive: true, mode: 0o755 });
  for (const sig of signatures) {
    const bytes = serializeStoredSignature(sig);
    if (existing.some((e) => e.equals(bytes))) continue;
    const tmp = join(dir, `.signature-${randomBytes(6).toString('hex')}.tmp`);
    await writeFile(tmp, bytes, { mode: 0o644, flag: 'wx' });
    try {
      // link() fails when the name exists: a concurrent writer's signature is never replaced.
      for (;;) {
        try {
          await link(tmp, fileURLToPath(lookasideUrl(base, repository, digest, n)));
          break;
        } catch (err) {
          if ((err as NodeJS.ErrnoException).code !== 'EEXIST') throw err;
          n++;
        }
      }
    } catch (err) {
      throw new ImgsealError('IO_ERROR', `writing signature to ${dir}: ${(err as NodeJS.ErrnoException).code ?? (err as Error).message}`);
    } finally {
      await rm(tmp, { force: true });
    }
    existing.push(bytes);
    n++;
  }
}
