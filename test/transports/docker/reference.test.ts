import assert from 'node:assert/strict';
import { test } from 'node:test';
import { isImgsealError } from '../../../src/errors.js';
import { dockerTransport, DockerReference } from '../../../src/transports/docker/index.js';
import { apiHostOf } from '../../../src/transports/docker/reference.js';

const D = 'sha256:' + 'a'.repeat(64);

// input after `docker:` → fully qualified name (as skopeo / containers/image normalise it)
const GOOD: [string, string][] = [
  ['//alpine', 'docker.io/library/alpine:latest'],
  ['//alpine:3.19', 'docker.io/library/alpine:3.19'],
  ['//library/alpine', 'docker.io/library/alpine:latest'],
  ['//docker.io/alpine', 'docker.io/library/alpine:latest'],
  ['//index.docker.io/library/alpine:edge', 'docker.io/library/alpine:edge'],
  ['//user/app', 'docker.io/user/app:latest'],
  ['//quay.io/coreos/etcd:v3.5', 'quay.io/coreos/etcd:v3.5'],
  ['//localhost/app', 'localhost/app:latest'],
  ['//localhost:5000/a/b/c:t', 'localhost:5000/a/b/c:t'],
  ['//127.0.0.1:5000/app', '127.0.0.1:5000/app:latest'],
  ['//Registry.Example/app', 'Registry.Example/app:latest'],
  ['//Foo/app', 'Foo/app:latest'], // an upper-case first component is a host
  [`//alpine@${D}`, `docker.io/library/alpine@${D}`],
  [`//127.0.0.1:5000/app@${D}`, `127.0.0.1:5000/app@${D}`],
  ['//a/b__c/d-e.f_g---h:T_1.x-y', 'docker.io/a/b__c/d-e.f_g---h:T_1.x-y'],
  ['//[::1]:5000/app', '[::1]:5000/app:latest'],
];

const BAD: [string, RegExp][] = [
  ['alpine', /expected docker:\/\//],
  ['/alpine', /expected docker:\/\//],
  ['//', /empty name/],
  ['//Alpine', /must be lowercase/],
  ['//docker.io/Library/alpine', /must be lowercase/],
  ['//alpine:', /invalid tag/],
  ['//alpine:-x', /invalid tag/],
  ['//alpine:' + 'x'.repeat(129), /invalid tag/],
  ['//alpine@sha256:abc', /invalid digest/],
  [`//alpine:3@${D}`, /both a tag and a digest/],
  ['//a//b', /invalid repository path component ""/],
  ['//a/b_/c', /invalid repository path component "b_"/],
  ['//-bad.host/app', /invalid registry host/],
  ['//' + 'a'.repeat(64), /64-byte hexadecimal/],
  ['//h.io/' + 'a'.repeat(260), /not be more than 255/],
  ['//app/', /invalid repository path component/],
];

for (const [input, want] of GOOD) {
  test(`docker:${input} → ${want}`, () => {
    const r = dockerTransport.parseReference(input) as DockerReference;
    assert.ok(r instanceof DockerReference);
    assert.equal(r.name, want);
    assert.equal(r.toString(), `docker://${want}`);
  });
}

for (const [input, why] of BAD) {
  test(`docker:${input.slice(0, 40)} is refused`, () => {
    assert.throws(
      () => dockerTransport.parseReference(input),
      (err: unknown) => isImgsealError(err, 'INVALID_REFERENCE') && why.test(err.message) && !err.message.includes('\n'),
    );
  });
}

test('docker.io is served by registry-1.docker.io', () => {
  const r = dockerTransport.parseReference('//alpine') as DockerReference;
  assert.equal(r.apiHost, 'registry-1.docker.io');
  assert.equal(apiHostOf('quay.io'), 'quay.io');
});
