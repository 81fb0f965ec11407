/**
 * The key-sync agent's state machine, independent of where Secrets come from (the
 * Kubernetes API or a mounted Secret volume): it holds the current Secrets and keeps
 * the key directory equal to the keys they stand for. Every change is reconciled in
 * order (one at a time); a Secret or entry that fails is reported in one line and
 * the others are served. An entry that fails keeps the file it had (a KMS outage must
 * not take working keys away); an entry or Secret that is gone loses its file.
 */
import { ImgsealError } from '../../errors.js';
import { KeyProtectClient, KeyProtectKms, parseKeyProtectConfig, type KeyProtectConfig, type KeyProtectOptions } from '../kms/keyprotect.js';
import { routeUnwrap, type KmsBackendName } from '../kms/kms.js';
import { keyFileName, ownedFiles, ownedPrefix, removeKeyFile, removeStaleTemporaries, writeKeyFile } from './key-files.js';
import { isKeySecretType, secretKeys, type KeyUnwrapper, type SecretKeys, type SecretRecord } from './secrets.js';
import { NODE_SELECTOR_ANNOTATION, parseLabelSelector } from './selector.js';
import { join } from 'node:path';

export const KEYPROTECT_CONFIG_SECRET = 'keyprotect-config';

export interface AuditRecord {
  time: string;
  action: 'key-written' | 'key-removed';
  secret: string;
  key: string;
  file: string;
  fingerprint?: string;
}

export interface KeySyncOptions {
  keysDir: string;
  namespace: string;
  /** The labels of this node (for the node-selector annotation); undefined when unknown. */
  nodeLabels?: () => Promise<Record<string, string> | undefined>;
  /** Key Protect connection from --keyprotect-config; else the keyprotect-config Secret. */
  keyProtectConfig?: KeyProtectConfig;
  keyProtectOptions?: KeyProtectOptions;
  /** KMS back ends other than the Key Protect configuration (e.g. a PKCS#11 token); each kp-key entry goes to the back end that wrapped it. */
  kms?: Partial<Record<KmsBackendName, KeyUnwrapper>>;
  audit: (record: AuditRecord) => void;
  /** One line, never key material or credentials. */
  error: (line: string) => void;
  now?: () => Date;
}

export interface KeySyncHealth {
  /** A reconcile finished with the key directory writable. */
  synced: boolean;
  lastSync?: string;
  lastError?: string;
  keyFiles: number;
}

export class KeySyncAgent {
  private readonly secrets = new Map<string, SecretRecord>();
  private readonly results = new Map<string, { version: string; result: SecretKeys }>();
  private kp: { version: string; client: KeyUnwrapper | undefined } | undefined;
  private chain: Promise<void> = Promise.resolve();
  private readonly prefix: string;
  readonly health: KeySyncHealth = { synced: false, keyFiles: 0 };

  constructor(private readonly opts: KeySyncOptions) {
    this.prefix = ownedPrefix(opts.namespace);
  }

  /** A full list (initial list, relist, resync, a re-read folder). */
  replaceAll(secrets: readonly SecretRecord[]): Promise<void> {
    this.secrets.clear();
    for (const s of secrets) this.secrets.set(s.name, s);
    return this.schedule();
  }

  upsert(secret: SecretRecord): Promise<void> {
    this.secrets.set(secret.name, secret);
    return this.schedule();
  }

  remove(name: string): Promise<void> {
    this.secrets.delete(name);
    return this.schedule();
  }

  /** Waits for every scheduled reconcile. */
  idle(): Promise<void> {
    return this.chain;
  }

  private schedule(): Promise<void> {
    this.chain = this.chain.then(() => this.reconcile()).catch((err: unknown) => this.fail(err));
    return this.chain;
  }

  private fail(err: unknown): void {
    const line = err instanceof ImgsealError ? err.message : `keysync: ${(err as Error).message}`;
    this.health.lastError = line;
    this.opts.error(line);
  }

  private unwrapper(): KeyUnwrapper | undefined {
    const keyprotect = this.keyProtect();
    const backends = { ...(keyprotect ? { keyprotect } : {}), ...this.opts.kms };
    return Object.keys(backends).length > 0 ? routeUnwrap(backends) : undefined;
  }

  private keyProtect(): KeyUnwrapper | undefined {
    if (this.opts.keyProtectConfig) {
      this.kp ??= { version: 'file', client: new KeyProtectKms(new KeyProtectClient(this.opts.keyProtectConfig, this.opts.keyProtectOptions)) };
      return this.kp.client;
    }
    const s = this.secrets.get(KEYPROTECT_CONFIG_SECRET);
    if (!s) return undefined;
    if (this.kp?.version !== s.version) {
      let client: KeyUnwrapper | undefined;
      try {
        const text = s.data['config.json'];
        if (!text) throw new ImgsealError('KEY_SYNC', `Secret ${s.namespace}/${s.name} has no config.json`);
        client = new KeyProtectKms(new KeyProtectClient(parseKeyProtectConfig(text.toString('utf8'), `Secret ${s.namespace}/${s.name} config.json`), this.opts.keyProtectOptions));
      } catch (err) {
        this.fail(err);
      }
      this.kp = { version: s.version, client };
    }
    return this.kp.client;
  }

  private async selected(): Promise<SecretRecord[]> {
    const out: SecretRecord[] = [];
    let labels: Record<string, string> | undefined | null = null;
    for (const s of [...this.secrets.values()].sort((a, b) => a.name.localeCompare(b.name))) {
      if (!isKeySecretType(s.type)) continue;
      const sel = s.annotations[NODE_SELECTOR_ANNOTATION];
      if (sel !== undefined) {
        labels = labels === null ? await this.nodeLabels() : labels;
        if (labels === undefined) {
          this.opts.error(`Secret ${s.namespace}/${s.name}: has a node selector but this node's labels are unknown (set NODE_NAME); not synced here`);
          continue;
        }
        let match;
        try {
          match = parseLabelSelector(sel);
        } catch (err) {
          this.opts.error(`Secret ${s.namespace}/${s.name}: annotation ${NODE_SELECTOR_ANNOTATION}: ${(err as Error).message}`);
          continue;
        }
        if (!match(labels)) continue;
      }
      out.push(s);
    }
    return out;
  }

  private async nodeLabels(): Promise<Record<string, string> | undefined> {
    try {
      return await this.opts.nodeLabels?.();
    } catch (err) {
      this.opts.error(`cannot read this node's labels: ${(err as Error).message}`);
      return undefined;
    }
  }

  private async reconcile(): Promise<void> {
    const { keysDir, namespace } = this.opts;
    const unwrapper = this.unwrapper();
    const desired = new Map<string, { secret: SecretRecord; key: string; content: Buffer; fingerprint: string }>();
    const keep = new Set<string>();
    for (const s of await this.selected()) {
      const version = `${s.version}|${this.kp?.version ?? ''}`;
      let cached = this.results.get(s.name);
      if (cached?.version !== version) {
        cached = { version, result: await secretKeys(s, unwrapper) };
        this.results.set(s.name, cached);
        for (const e of cached.result.errors) this.opts.error(e.message);
      }
      for (const k of cached.result.keys) desired.set(keyFileName(namespace, s.name, k.key), { secret: s, ...k });
      for (const e of cached.result.errors) keep.add(keyFileName(namespace, s.name, e.key));
    }
    for (const name of this.results.keys()) if (!this.secrets.has(name)) this.results.delete(name);

    await removeStaleTemporaries(keysDir, this.prefix);
    let dirOk = true;
    for (const [file, d] of desired) {
      try {
        if (await writeKeyFile(keysDir, { name: file, content: d.content })) {
          this.audit({ action: 'key-written', secret: `${namespace}/${d.secret.name}`, key: d.key, file: join(keysDir, file), fingerprint: d.fingerprint });
        }
      } catch (err) {
        dirOk = false;
        this.fail(err);
      }
    }
    let existing: string[] = [];
    try {
      existing = await ownedFiles(keysDir, this.prefix);
    } catch (err) {
      dirOk = false;
      this.fail(err);
    }
    for (const file of existing) {
      if (desired.has(file) || keep.has(file)) continue;
      try {
        if (await removeKeyFile(keysDir, file)) {
          const rest = file.slice(this.prefix.length);
          const cut = rest.indexOf('_');
          this.audit({ action: 'key-removed', secret: `${namespace}/${rest.slice(0, cut)}`, key: rest.slice(cut + 1), file: join(keysDir, file) });
        }
      } catch (err) {
        dirOk = false;
        this.fail(err);
      }
    }
    this.health.keyFiles = desired.size;
    if (dirOk) {
      this.health.synced = true;
      this.health.lastSync = (this.opts.now?.() ?? new Date()).toISOString();
    }
  }

  private audit(r: Omit<AuditRecord, 'time'>): void {
    this.opts.audit({ time: (this.opts.now?.() ?? new Date()).toISOString(), ...r });
  }
}
