// Issue 12, defect 10: one image-name grammar. docker-archive tags and docker://
// references accept and refuse the same names (the IPv6 host patterns differed).
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { isImgsealError } from '../../src/errors.js';
import { parseNamedTagged } from '../../src/transports/archive/docker-name.js';
import { parseDockerName } from '../../src/transports/docker/reference.js';

const NAMES = [
  'busybox',
  'busybox:1.36',
  'quay.io/org/app:v1',
  'localhost:5000/app',
  '[::1]:5000/app:v1',
  '[::ffff:127.0.0.1]:5000/app:v1', // an IPv4-mapped IPv6 literal: the archive grammar refused it
  '[fe80::1]/x/y:z',
  'Upper/app',
  'docker.io/UPPER',
  'a/b/c/d',
  'app:-bad',
  'exa mple/app',
  '[zz::1]:5000/app',
  `${'a'.repeat(250)}/bbbbbbb`,
  'a'.repeat(64).replace(/a/g, 'f'),
];

function outcome(parse: () => string): string {
  try {
    return `ok ${parse()}`;
  } catch (err) {
    assert.ok(isImgsealError(err, 'INVALID_REFERENCE'), String(err));
    return 'refused';
  }
}

for (const name of NAMES) {
  test(`"${name.length > 40 ? `${name.slice(0, 40)}…` : name}": archive tag and docker reference agree`, () => {
    const docker = outcome(() => {
      const r = parseDockerName(name);
      return `${r.domain}/${r.repository}:${r.tag ?? ''}`;
    });
    const archive = outcome(() => {
      const r = parseNamedTagged(name);
      return `${r.name}:${r.tag}`;
    });
    assert.equal(archive, docker);
  });
}

test('archive tags still refuse digests, with the archive wording', () => {
  assert.throws(() => parseNamedTagged(`busybox@sha256:${'a'.repeat(64)}`), /invalid image name .*digest references are not supported/);
  assert.throws(() => parseNamedTagged('docker.io/UPPER'), /invalid image name "docker.io\/UPPER": repository name must be lowercase/);
});
