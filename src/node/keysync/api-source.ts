/**
 * Secrets from the Kubernetes API with @kubernetes/client-node: list, then watch from
 * the list's resourceVersion; a `410 Gone` (as an ERROR event or an HTTP status)
 * relists; a watch the server or network ends reconnects from the last
 * resourceVersion seen, with exponential backoff while the API is unreachable; and a
 * full relist every `resyncMs` catches anything a watch may have missed.
 */
import { CoreV1Api, KubeConfig, Watch, type V1Secret } from '@kubernetes/client-node';
import { ImgsealError } from '../../errors.js';
import type { KeySyncAgent } from './agent.js';
import type { SecretRecord } from './secrets.js';

export interface ApiSourceOptions {
  /** A kubeconfig file; in-cluster configuration when absent. */
  kubeconfig?: string;
  namespace: string;
  agent: KeySyncAgent;
  resyncMs: number;
  backoffInitialMs?: number;
  backoffMaxMs?: number;
  error: (line: string) => void;
  signal: AbortSignal;
}

export function loadKubeConfig(kubeconfig: string | undefined): KubeConfig {
  const kc = new KubeConfig();
  try {
    if (kubeconfig) kc.loadFromFile(kubeconfig);
    else kc.loadFromCluster();
  } catch (err) {
    throw new ImgsealError('KEY_SYNC', `cannot load ${kubeconfig ? `kubeconfig ${kubeconfig}` : 'the in-cluster configuration'}: ${(err as Error).message}`);
  }
  if (!kc.getCurrentCluster()) throw new ImgsealError('KEY_SYNC', `${kubeconfig ?? 'in-cluster configuration'}: no current cluster`);
  return kc;
}

export function secretRecord(s: V1Secret, namespace: string): SecretRecord {
  const data: Record<string, Buffer> = {};
  for (const [k, v] of Object.entries(s.data ?? {})) data[k] = Buffer.from(v, 'base64');
  return { namespace, name: s.metadata?.name ?? '', type: s.type ?? '', data, annotations: s.metadata?.annotations ?? {}, version: s.metadata?.resourceVersion ?? '' };
}

/** The labels of node `name` (needs `get` on nodes). */
export async function readNodeLabels(kc: KubeConfig, name: string): Promise<Record<string, string>> {
  const node = await kc.makeApiClient(CoreV1Api).readNode({ name });
  return node.metadata?.labels ?? {};
}

function describe(err: unknown): string {
  const e = err as { code?: number; statusCode?: number; body?: unknown; message?: string; cause?: { code?: string } };
  const status = e.code ?? e.statusCode;
  if (typeof status === 'number') return `HTTP ${status}`;
  return e.cause?.code ?? e.message?.split('\n')[0] ?? String(err);
}

const sleep = (ms: number, signal: AbortSignal): Promise<void> =>
  new Promise((resolve) => {
    const t = setTimeout(resolve, ms);
    signal.addEventListener('abort', () => { clearTimeout(t); resolve(); }, { once: true });
  });

type WatchEnd = 'gone' | 'closed' | 'resync' | 'aborted';

export class SecretApiSource {
  private readonly api: CoreV1Api;
  private readonly watcher: Watch;
  /** 'connected' while a watch is open. */
  state: 'starting' | 'connected' | 'disconnected' = 'starting';

  constructor(
    private readonly kc: KubeConfig,
    private readonly opts: ApiSourceOptions,
  ) {
    this.api = kc.makeApiClient(CoreV1Api);
    this.watcher = new Watch(kc);
  }

  async run(): Promise<void> {
    const { signal } = this.opts;
    const initial = this.opts.backoffInitialMs ?? 500;
    let backoff = initial;
    while (!signal.aborted) {
      let rv: string;
      try {
        rv = await this.list();
      } catch (err) {
        this.state = 'disconnected';
        this.opts.error(`cannot list Secrets in namespace ${this.opts.namespace}: ${describe(err)}; retrying in ${backoff} ms`);
        await sleep(backoff, signal);
        backoff = Math.min(backoff * 2, this.opts.backoffMaxMs ?? 30_000);
        continue;
      }
      backoff = initial;
      if (signal.aborted) break;
      const resyncAt = Date.now() + this.opts.resyncMs;
      // Watch (and re-watch from the last resourceVersion) until a relist is due.
      for (;;) {
        const { end, rv: last } = await this.watchOnce(rv, resyncAt - Date.now());
        rv = last;
        if (end === 'aborted' || end === 'resync') break;
        if (end === 'gone') {
          this.opts.error(`watch of Secrets: resourceVersion ${rv} is too old (410 Gone); listing again`);
          break;
        }
        this.state = 'disconnected';
        await sleep(backoff, signal);
        backoff = Math.min(backoff * 2, this.opts.backoffMaxMs ?? 30_000);
        if (signal.aborted) break;
      }
    }
  }

  /** One list, applied as the full state (what --once does); returns its resourceVersion. */
  async list(): Promise<string> {
    const list = await this.api.listNamespacedSecret({ namespace: this.opts.namespace });
    await this.opts.agent.replaceAll(list.items.map((s) => secretRecord(s, this.opts.namespace)));
    return list.metadata?.resourceVersion ?? '';
  }

  private watchOnce(rv: string, untilResyncMs: number): Promise<{ end: WatchEnd; rv: string }> {
    const { signal, namespace, agent } = this.opts;
    return new Promise((resolve) => {
      let last = rv;
      let ended = false;
      let controller: AbortController | undefined;
      let gone = false;
      const finish = (end: WatchEnd): void => {
        if (ended) return;
        ended = true;
        clearTimeout(timer);
        signal.removeEventListener('abort', onAbort);
        controller?.abort();
        resolve({ end, rv: last });
      };
      const onAbort = (): void => finish('aborted');
      const timer = setTimeout(() => finish('resync'), Math.max(untilResyncMs, 0));
      signal.addEventListener('abort', onAbort, { once: true });
      if (signal.aborted) return finish('aborted');
      void this.watcher
        .watch(
          `/api/v1/namespaces/${encodeURIComponent(namespace)}/secrets`,
          { resourceVersion: rv, allowWatchBookmarks: true },
          (type: string, obj: V1Secret & { code?: number }) => {
            if (ended) return;
            this.state = 'connected';
            if (type === 'ERROR') {
              if (obj.code === 410) gone = true;
              else this.opts.error(`watch of Secrets: error event${obj.code ? ` (code ${obj.code})` : ''}`);
              return;
            }
            if (obj.metadata?.resourceVersion) last = obj.metadata.resourceVersion;
            if (type === 'ADDED' || type === 'MODIFIED') void agent.upsert(secretRecord(obj, namespace));
            else if (type === 'DELETED' && obj.metadata?.name) void agent.remove(obj.metadata.name);
          },
          (err: unknown) => {
            if (gone || (err as { statusCode?: number } | null)?.statusCode === 410) return finish('gone');
            if (err && !ended && !signal.aborted) this.opts.error(`watch of Secrets ended: ${describe(err)}; reconnecting from resourceVersion ${last}`);
            finish(signal.aborted ? 'aborted' : 'closed');
          },
        )
        .then((c) => {
          controller = c;
          if (ended) c.abort();
        }, (err: unknown) => {
          this.opts.error(`watch of Secrets failed: ${describe(err)}`);
          finish('closed');
        });
    });
  }
}
