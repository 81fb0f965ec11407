// Throwaway GnuPG keys for signing tests, made by test/peers/gpg/make-key.sh, and the
// signedBy policy files that trust them. No side effects at import.
import { execFileSync } from 'node:child_process';
import { mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { peersDir } from './peers.js';

export interface GpgKey {
  /** The make-key.sh state folder (agent sockets live under it). */
  state: string;
  /** GNUPGHOME holding the secret key. */
  home: string;
  fpr: string;
  /** The public key, exported (binary), for keyPath. */
  pubkey: string;
}

/** Makes keys in folders from `dirFor`; `stopAll()` stops their gpg-agents. */
export class GpgKeys {
  private readonly states: string[] = [];

  constructor(private readonly dirFor: (label: string) => string) {}

  make(name: string): GpgKey {
    const state = this.dirFor(`gpg-${name}`);
    mkdirSync(state, { recursive: true });
    execFileSync('bash', [join(peersDir(), 'gpg', 'make-key.sh'), state, `${name}@example.test`], { stdio: 'pipe' });
    this.states.push(state);
    return { state, home: join(state, 'gnupg'), fpr: readFileSync(join(state, 'fingerprint'), 'utf8').trim(), pubkey: join(state, 'pubkey.gpg') };
  }

  stopAll(): void {
    for (const s of this.states) execFileSync('bash', [join(peersDir(), 'gpg', 'stop.sh'), s], { stdio: 'ignore' });
  }
}

/** Writes `dir/name.json`: reject by default, signedBy `keyring` for docker scope `scope`. */
export function signedByPolicyFile(dir: string, name: string, keyring: string, scope: string): string {
  const p = join(dir, `${name}.json`);
  writeFileSync(p, JSON.stringify({ default: [{ type: 'reject' }], transports: { docker: { [scope]: [{ type: 'signedBy', keyType: 'GPGKeys', keyPath: keyring }] } } }));
  return p;
}
