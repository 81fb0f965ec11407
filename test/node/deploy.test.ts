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
