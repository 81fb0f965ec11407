/**
 * The local trust directory in docker's layout, shared with `docker trust` and the
 * notary CLI: `$DOCKER_CONFIG/trust` (default `~/.docker/trust`) holding
 * - `private/<canonical key id>.key`: encrypted PKCS#8 PEM with role/gun headers, mode 0600;
 * - `tuf/<gun>/metadata/<role>.json`: the last verified metadata, which is the trusted
 *   root for the next update and the floor for rollback checks.
 */
import { readdir, readFile } from 'node:fs/promises';
import { homedir } from 'node:os';
import { join } from 'node:path';
import type { KeyObject } from 'node:crypto';
import { ImgsealError } from '../../errors.js';
import { writeFileAtomic } from '../../util/atomic-file.js';
import { decodeTrustKey, encodeTrustKey, readHeaders, type TrustKeyHeaders } from './key-file.js';

export function defaultTrustDir(env: NodeJS.ProcessEnv = process.env): string {
  return join(env.DOCKER_CONFIG ?? join(homedir(), '.docker'), 'trust');
}

export interface StoredKeyInfo extends TrustKeyHeaders {
  /** The canonical key ID (file name without `.key`). */
  id: string;
  path: string;
}

/** The largest metadata file the cache holds (the client caps downloads the same way). */
const MAX_CACHED = 16 << 20;

export class TrustDir {
  constructor(readonly root: string) {}

  private metadataPath(gun: string, role: string): string {
    if (gun.split('/').some((p) => p === '..' || p === '.' || p === '') || role.split('/').some((p) => p === '..' || p === '.' || p === '')) {
      throw new ImgsealError('INVALID_ARGUMENT', `invalid repository or role name ${gun} ${role}`);
    }
    return join(this.root, 'tuf', ...gun.split('/'), 'metadata', `${role}.json`);
  }

  async readMetadata(gun: string, role: string): Promise<Buffer | undefined> {
    try {
      const b = await readFile(this.metadataPath(gun, role));
      return b.length > MAX_CACHED ? undefined : b;
    } catch (err) {
      if ((err as NodeJS.ErrnoException).code === 'ENOENT') return undefined;
      throw new ImgsealError('IO_ERROR', `reading the trust cache: ${(err as Error).message}`, { cause: err });
    }
  }

  async writeMetadata(gun: string, role: string, bytes: Buffer): Promise<void> {
    await writeFileAtomic(this.metadataPath(gun, role), bytes, { mode: 0o600 });
  }

  /** Stores a private key under its canonical ID; never replaces an existing file. */
  async writePrivateKey(id: string, key: KeyObject, passphrase: string, headers: TrustKeyHeaders): Promise<string> {
    if (!/^[0-9a-f]{64}$/.test(id)) throw new ImgsealError('INVALID_ARGUMENT', `invalid key ID ${id}`);
    const path = join(this.root, 'private', `${id}.key`);
    await writeFileAtomic(path, encodeTrustKey(key, passphrase, headers), { mode: 0o600, exclusive: true });
    return path;
  }

  async listPrivateKeys(): Promise<StoredKeyInfo[]> {
    const dir = join(this.root, 'private');
    let names: string[];
    try {
      names = await readdir(dir);
    } catch (err) {
      if ((err as NodeJS.ErrnoException).code === 'ENOENT') return [];
      throw new ImgsealError('IO_ERROR', `reading ${dir}: ${(err as Error).message}`, { cause: err });
    }
    const out: StoredKeyInfo[] = [];
    for (const n of names.sort()) {
      const m = /^([0-9a-f]{64})\.key$/.exec(n);
      if (!m) continue;
      const path = join(dir, n);
      try {
        out.push({ id: m[1] as string, path, ...readHeaders(await readFile(path, 'utf8'), path) });
      } catch {
        // A file that is not a trust key (no role header) is not ours to use.
      }
    }
    return out;
  }

  async loadPrivateKey(info: StoredKeyInfo, passphrase: string): Promise<KeyObject> {
    return decodeTrustKey(await readFile(info.path, 'utf8'), passphrase, info.path).key;
  }
}
