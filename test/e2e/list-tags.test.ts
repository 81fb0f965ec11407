/**
 * `imgseal list-tags` against the plain registry peer: the same JSON as skopeo
 * list-tags, every page followed (Link: rel="next"), one line for an unknown repository.
 */
import assert from 'node:assert/strict';
import { before, describe, test } from 'node:test';
import { parseImageName } from '../../src/transports/transports.js';
import { listTags, type DockerReference } from '../../src/transports/docker/index.js';
import { buildLayout } from '../testkit/image-builder.js';
import { useRegistryPeer } from '../testkit/peers.js';
import { assertOneLineFailure, imgseal, imgsealOk, skopeo, workDir } from './helpers.js';

const work = workDir('tags');
let srcDir: string;

before(async () => {
  srcDir = work.dir('src');
  await buildLayout(srcDir, [{ files: { 't.txt': 'tags\n' }, compression: 'gzip' }]);
});

describe('list-tags (plain registry peer)', { timeout: 120_000 }, () => {
  const reg = useRegistryPeer('plain');

  test('lists every tag, as skopeo list-tags does, across pages', async (t) => {
    const peer = reg.get(t);
    if (!peer) return;
    for (const tag of ['v1', 'v2', 'latest']) {
      await imgsealOk(['copy', '-q', `oci:${srcDir}:base`, `docker://${peer.host}/lt/app:${tag}`, '--dest-tls-verify=false']);
    }
    const r = await imgsealOk(['list-tags', '--tls-verify=false', `docker://${peer.host}/lt/app`]);
    const ours = JSON.parse(r.stdout) as { Repository: string; Tags: string[] };
    assert.deepEqual(ours, { Repository: `${peer.host}/lt/app`, Tags: ['latest', 'v1', 'v2'] });
    const theirs = JSON.parse(await skopeo(['list-tags', '--tls-verify=false', `docker://${peer.host}/lt/app`])) as unknown;
    assert.deepEqual(ours, theirs);
    // One tag per page: three pages joined through the registry's Link headers.
    const paged = await listTags(parseImageName(`docker://${peer.host}/lt/app:ignored`) as DockerReference, { tlsVerify: false }, { pageSize: 1 });
    assert.deepEqual(paged.Tags, ['latest', 'v1', 'v2']);
  });

  test('an unknown repository is one line, exit 1; a non-registry name exit 2', async (t) => {
    const peer = reg.get(t);
    if (!peer) return;
    assertOneLineFailure(await imgseal(['list-tags', '--tls-verify=false', `docker://${peer.host}/lt/nothing-here`]), /lt\/nothing-here.*(not known|not found|unknown)/i, 'unknown repository');
    const wrong = await imgseal(['list-tags', `oci:${srcDir}`]);
    assert.equal(wrong.code, 2);
  });
});
