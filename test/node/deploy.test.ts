// deploy/keysync.yaml: the manifests parse and grant no more than the README says.
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { test } from 'node:test';
import { parseAllDocuments } from 'yaml';
import { REPO_ROOT } from '../testkit/cli.js';

interface Doc {
  kind: string;
  metadata: { name: string; namespace?: string };
  rules?: { apiGroups: string[]; resources: string[]; verbs: string[] }[];
  spec?: { template: { spec: { serviceAccountName: string; containers: { args: string[]; env: { name: string }[]; volumeMounts: { mountPath: string }[] }[]; volumes: { hostPath?: { path: string } }[] } } };
}

test('deploy/keysync.yaml: Namespace, ServiceAccount, read-only Role on Secrets, DaemonSet with the host key directory', () => {
  const docs = parseAllDocuments(readFileSync(join(REPO_ROOT, 'deploy', 'keysync.yaml'), 'utf8')).map((d) => {
    assert.deepEqual(d.errors, []);
    return d.toJS() as Doc;
  });
  const kinds = docs.map((d) => d.kind);
  assert.deepEqual(kinds, ['Namespace', 'ServiceAccount', 'Role', 'RoleBinding', 'ClusterRole', 'ClusterRoleBinding', 'DaemonSet']);
  const role = docs.find((d) => d.kind === 'Role');
  assert.deepEqual(role?.rules, [{ apiGroups: [''], resources: ['secrets'], verbs: ['get', 'list', 'watch'] }]);
  assert.equal(role?.metadata.namespace, 'image-key-synchronizer');
  const cluster = docs.find((d) => d.kind === 'ClusterRole');
  assert.deepEqual(cluster?.rules, [{ apiGroups: [''], resources: ['nodes'], verbs: ['get'] }]);
  const ds = docs.find((d) => d.kind === 'DaemonSet')?.spec?.template.spec;
  assert.equal(ds?.serviceAccountName, 'imgseal-keysync');
  const c = ds?.containers[0];
  assert.ok(c?.args.includes('keysync') && c.args.includes('--keys-dir=/host-keys'));
  assert.ok(c?.env.some((e) => e.name === 'NODE_NAME'));
  assert.equal(ds?.volumes[0]?.hostPath?.path, '/etc/containerd/ocicrypt/keys');
});

interface Container {
  name: string;
  args: string[];
  env: { name: string; value?: string }[];
  volumeMounts: { name: string; mountPath: string; readOnly?: boolean }[];
}
interface Volume {
  name: string;
  configMap?: { name: string };
  secret?: { secretName: string; defaultMode?: number };
  hostPath?: { path: string };
}

function yamlDocs(...path: string[]): Record<string, unknown>[] {
  return parseAllDocuments(readFileSync(join(REPO_ROOT, ...path), 'utf8')).map((d) => {
    assert.deepEqual(d.errors, []);
    return d.toJS() as Record<string, unknown>;
  });
}

/** Which volume (and key below it) holds an absolute path in the container. */
function mountedAt(c: Container, volumes: Volume[], path: string): { volume: Volume; rest: string } {
  const m = c.volumeMounts.find((v) => path.startsWith(`${v.mountPath}/`));
  assert.ok(m, `${path} is on no volume mount of the container`);
  const volume = volumes.find((v) => v.name === m.name);
  assert.ok(volume, `volume ${m.name} is not declared`);
  return { volume, rest: path.slice(m.mountPath.length + 1) };
}

test('deploy/pkcs11: the ConfigMap parses as a KMS config and a PKCS#11 policy, and the patch mounts every path they name', async () => {
  const { parsePkcs11KmsConfig } = await import('../../src/node/kms/pkcs11-config.js');
  const { parsePkcs11Policy } = await import('../../src/crypto/wrap/pkcs11/config.js');
  const [cm] = yamlDocs('deploy', 'pkcs11', 'configmap.yaml') as [{ kind: string; metadata: { name: string; namespace: string }; data: Record<string, string> }];
  assert.equal(cm.kind, 'ConfigMap');
  assert.equal(cm.metadata.namespace, 'image-key-synchronizer');
  // The same strict parsers the agent runs: unknown fields or a bad PIN source would fail here.
  const kms = parsePkcs11KmsConfig(cm.data['pkcs11.json'] as string, 'pkcs11.json');
  const policy = parsePkcs11Policy(cm.data['ocicrypt.conf'] as string, 'ocicrypt.conf');
  assert.ok('path' in kms.module && policy.allowedModulePaths.includes(kms.module.path), 'the policy allows the configured module');
  assert.ok('file' in kms.pin, 'the PIN comes from a file (a Secret volume), not from the ConfigMap');

  const [patch] = yamlDocs('deploy', 'pkcs11', 'daemonset-patch.yaml') as [{ spec: { template: { spec: { containers: Container[]; volumes: Volume[] } } } }];
  const pod = patch.spec.template.spec;
  const c = pod.containers.find((x) => x.name === 'keysync');
  assert.ok(c, 'the patch names the keysync container');
  // args has no merge key: the patch must keep every base argument.
  const base = (yamlDocs('deploy', 'keysync.yaml').find((d) => d.kind === 'DaemonSet') as unknown as Doc).spec?.template.spec.containers[0]?.args ?? [];
  for (const a of base) assert.ok(c.args.includes(a), `patch drops the base argument ${a}`);
  const configArg = c.args.find((a) => a.startsWith('--pkcs11-config='));
  assert.ok(configArg);
  const cfg = mountedAt(c, pod.volumes, configArg.slice('--pkcs11-config='.length));
  assert.equal(cfg.volume.configMap?.name, cm.metadata.name);
  assert.ok(cfg.rest in cm.data, `--pkcs11-config names ${cfg.rest}, not a key of the ConfigMap`);
  const ocicrypt = c.env.find((e) => e.name === 'OCICRYPT_CONFIG')?.value;
  assert.ok(ocicrypt, 'OCICRYPT_CONFIG is set');
  const pol = mountedAt(c, pod.volumes, ocicrypt);
  assert.equal(pol.volume.configMap?.name, cm.metadata.name);
  assert.ok(pol.rest in cm.data, `OCICRYPT_CONFIG names ${pol.rest}, not a key of the ConfigMap`);
  const pin = mountedAt(c, pod.volumes, (kms.pin as { file: string }).file);
  assert.equal(pin.volume.secret?.secretName, 'imgseal-keysync-pin');
  assert.equal(pin.volume.secret?.defaultMode, 0o400);
  for (const [name, value] of Object.entries(kms.moduleEnv)) {
    if (value.startsWith('/')) mountedAt(c, pod.volumes, value); // e.g. SOFTHSM2_CONF
    assert.ok(name.length > 0);
  }
});
