/**
 * `imgseal keysync`: keeps a node's key directory equal to the key Secrets of one
 * namespace, from the Kubernetes API (list + watch) or from a mounted Secret volume.
 * Audit lines (JSON, one per write or removal) go to stdout, errors (one line each)
 * to stderr; the agent keeps serving after errors. With --once it syncs once and exits
 * 1 if anything failed.
 */
import type { Server } from 'node:http';
import type { Command } from 'commander';
import { ImgsealError } from '../../errors.js';
import type { SecretApiSource } from '../../node/keysync/index.js';

interface KeysyncFlags {
  keysDir?: string;
  namespace: string;
  kubeconfig?: string;
  once?: boolean;
  fromDir?: string;
  secretName?: string;
  secretType: string;
  keyprotectConfig?: string;
  pkcs11Config?: string;
  resync: string;
  healthPort?: string;
  healthAddress: string;
}

function positive(v: string, flag: string): number {
  const n = Number(v);
  if (!Number.isFinite(n) || n <= 0) throw new ImgsealError('INVALID_ARGUMENT', `${flag} must be a positive number`);
  return n;
}

export function registerKeysync(program: Command): void {
  program
    .command('keysync')
    .description('sync decryption keys from Kubernetes Secrets (type key or kp-key) into the node key directory')
    .option('--keys-dir <dir>', 'the runtime key directory (e.g. /etc/containerd/ocicrypt/keys, /etc/crio/keys)')
    .option('--namespace <ns>', 'namespace of the key Secrets', 'image-key-synchronizer')
    .option('--kubeconfig <file>', 'kubeconfig (default: in-cluster configuration)')
    .option('--once', 'sync once and exit (1 if anything failed)')
    .option('--from-dir <dir>', 'read one Secret from a mounted Secret volume instead of the API')
    .option('--secret-name <name>', 'with --from-dir: the Secret name used in key file names (default: the folder name)')
    .option('--secret-type <type>', 'with --from-dir: key or kp-key', 'key')
    .option('--keyprotect-config <file>', 'Key Protect config.json for kp-key Secrets (default: the keyprotect-config Secret)')
    .option('--pkcs11-config <file>', 'PKCS#11 config for kp-key entries wrapped by `imgseal kms wrap --pkcs11-config` (a token on this node)')
    .option('--resync <seconds>', 'full relist / re-read interval', '300')
    .option('--health-port <port>', 'serve /healthz and /readyz on this port')
    .option('--health-address <addr>', 'address for the health endpoint', '127.0.0.1')
    .action(async (flags: KeysyncFlags) => {
      if (!flags.keysDir) throw new ImgsealError('INVALID_ARGUMENT', '--keys-dir DIR is required');
      if (flags.secretType !== 'key' && flags.secretType !== 'kp-key') throw new ImgsealError('INVALID_ARGUMENT', `--secret-type must be key or kp-key, not ${JSON.stringify(flags.secretType)}`);
      if (flags.fromDir && flags.kubeconfig) throw new ImgsealError('INVALID_ARGUMENT', '--from-dir and --kubeconfig exclude each other');
      const resyncMs = positive(flags.resync, '--resync') * 1000;
      // The agent and @kubernetes/client-node (~60 MiB) load here, not for every imgseal run.
      const { loadKeyProtectConfig, loadPkcs11KmsConfig, Pkcs11Kms } = await import('../../node/kms/index.js');
      const { KeySyncAgent, SecretApiSource, loadKubeConfig, readNodeLabels, readSecretVolume, startHealthServer, watchSecretVolume } = await import('../../node/keysync/index.js');
      let failures = 0;
      const error = (line: string): void => {
        failures++;
        process.stderr.write(`imgseal keysync: ${line}\n`);
      };
      const keyProtectConfig = flags.keyprotectConfig ? await loadKeyProtectConfig(flags.keyprotectConfig) : undefined;
      // Read now, so a bad file is one line at start; the PIN is read at each unwrap.
      const pkcs11 = flags.pkcs11Config ? new Pkcs11Kms(await loadPkcs11KmsConfig(flags.pkcs11Config), { env: process.env }) : undefined;
      const nodeName = process.env.NODE_NAME;
      const kc = flags.fromDir ? undefined : loadKubeConfig(flags.kubeconfig);
      const agent = new KeySyncAgent({
        keysDir: flags.keysDir,
        namespace: flags.namespace,
        ...(keyProtectConfig ? { keyProtectConfig } : {}),
        ...(pkcs11 ? { kms: { pkcs11 } } : {}),
        nodeLabels: async () => (kc && nodeName ? readNodeLabels(kc, nodeName) : undefined),
        audit: (r) => process.stdout.write(`${JSON.stringify(r)}\n`),
        error,
      });
      const volume = flags.fromDir ? { dir: flags.fromDir, namespace: flags.namespace, type: flags.secretType, ...(flags.secretName ? { name: flags.secretName } : {}) } as const : undefined;
      const readVolume = async (): Promise<void> => {
        if (!volume) return;
        try {
          await agent.replaceAll([await readSecretVolume(volume)]);
        } catch (err) {
          error((err as Error).message);
        }
      };

      // One read at a time, and one more if the folder changed while reading: two reads
      // racing could apply an older version of the volume after a newer one.
      let reading: Promise<void> | undefined;
      let changedWhileReading = false;
      const syncVolume = (): Promise<void> => {
        if (reading) {
          changedWhileReading = true;
          return reading;
        }
        reading = (async () => {
          do {
            changedWhileReading = false;
            await readVolume();
          } while (changedWhileReading);
        })().finally(() => (reading = undefined));
        return reading;
      };

      if (flags.once) {
        if (volume) await readVolume();
        else if (kc) {
          const source = new SecretApiSource(kc, { namespace: flags.namespace, agent, resyncMs, error, signal: new AbortController().signal });
          try {
            await source.list();
          } catch (err) {
            throw new ImgsealError('KEY_SYNC', `cannot list Secrets in namespace ${flags.namespace}: ${(err as { code?: number }).code ? `HTTP ${(err as { code?: number }).code}` : (err as Error).message.split('\n')[0]}`);
          }
        }
        await agent.idle();
        if (failures > 0) throw new ImgsealError('KEY_SYNC', `${failures} error${failures === 1 ? '' : 's'} during the sync (see above)`);
        return;
      }

      const ac = new AbortController();
      const stop = (): void => ac.abort();
      process.once('SIGTERM', stop);
      process.once('SIGINT', stop);
      let server: Server | undefined;
      let source: SecretApiSource | undefined;
      if (flags.healthPort) {
        server = await startHealthServer(Number(flags.healthPort), flags.healthAddress, () => ({ ...agent.health, source: source?.state ?? (volume ? 'volume' : 'starting') }), 2 * resyncMs + 60_000);
      }
      try {
        if (volume) {
          // Watch first, then read: a kubelet swap of ..data between the first read and
          // the watch would otherwise wait for the resync (5 minutes by default).
          const unwatch = watchSecretVolume(volume.dir, () => void syncVolume(), resyncMs);
          await syncVolume();
          await new Promise<void>((resolve) => ac.signal.addEventListener('abort', () => resolve(), { once: true }));
          unwatch();
        } else if (kc) {
          source = new SecretApiSource(kc, { namespace: flags.namespace, agent, resyncMs, error, signal: ac.signal });
          await source.run();
        }
        await agent.idle();
      } finally {
        server?.close();
        process.off('SIGTERM', stop);
        process.off('SIGINT', stop);
      }
    });
}
