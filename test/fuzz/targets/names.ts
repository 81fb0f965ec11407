/** Image names as users and scripts type them, for every transport, and --platform values. */
import fc from 'fast-check';
import { parsePlatform } from '../../../src/model/platform.js';
import { parseImageName } from '../../../src/transports/transports.js';
import { edited, validDigest } from '../arbitraries/text.js';
import { defineTarget } from '../harness/target.js';

const host = fc.oneof(
  fc.constantFrom('docker.io', 'index.docker.io', 'localhost', 'localhost:5000', '127.0.0.1:5000', '[::1]:5000', '[::1]', '[fe80::1%25eth0]:5000', 'quay.io', 'Registry.Example', 'a-b.c', '-bad.io', 'x.io:', 'x.io:99999999999999999999'),
  fc.stringMatching(/^[a-z0-9][a-z0-9.-]{0,20}(:[0-9]{1,5})?$/),
);
const component = fc.oneof(fc.constantFrom('library', 'alpine', 'a', 'a__b', 'a--b', 'a.b', 'A', '_a', 'a_', ''), fc.stringMatching(/^[a-z0-9]+(?:[._-][a-z0-9]+)*$/));
const repo = fc.array(component, { minLength: 1, maxLength: 4 }).map((cs) => cs.join('/'));
const tag = fc.oneof(fc.constantFrom('latest', 'v1.0', '_x', '-x', '.x', 'a'.repeat(128), 'a'.repeat(129)), fc.stringMatching(/^[\w][\w.-]{0,20}$/));
const dockerName = fc
  .tuple(fc.option(host), repo, fc.option(tag), fc.option(fc.oneof(validDigest, edited(validDigest))))
  .map(([h, r, t, d]) => `${h ? `${h}/` : ''}${r}${t !== null ? `:${t}` : ''}${d !== null ? `@${d}` : ''}`);
const path = fc.oneof(fc.constantFrom('/tmp/layout', 'rel/dir', '.', '', '/', 'a b', 'file.tar', '/dev/null'), fc.string({ maxLength: 20 }));
const refName = fc.oneof(fc.constantFrom('v1', 'latest', 'a/b', 'a--b', 'a:b', '@', '', 'a..b'), fc.stringMatching(/^[A-Za-z0-9]+(?:[-._:@+][A-Za-z0-9]+)*$/));

const imageName = fc.oneof(
  { weight: 4, arbitrary: dockerName.map((n) => `docker://${n}`) },
  { weight: 2, arbitrary: fc.tuple(fc.constantFrom('oci', 'oci-archive'), path, fc.option(refName)).map(([t, p, r]) => `${t}:${p}${r !== null ? `:${r}` : ''}`) },
  { weight: 2, arbitrary: fc.tuple(path, fc.option(fc.oneof(dockerName, fc.nat().map((n) => `@${n}`), fc.constantFrom('@', '@-1', '@1e3', '@99999999999999999999')))).map(([p, r]) => `docker-archive:${p}${r !== null ? `:${r}` : ''}`) },
  { weight: 1, arbitrary: path.map((p) => `dir:${p}`) },
  { weight: 2, arbitrary: edited(fc.constantFrom('docker://localhost:5000/a/b:v1', 'oci:/tmp/x:v1', 'docker-archive:/tmp/a.tar:busybox:latest', 'oci-archive:a.tar:v1', 'docker://[::1]:5000/x@sha256:' + 'a'.repeat(64))) },
  { weight: 1, arbitrary: fc.string({ unit: 'binary', maxLength: 60 }) },
  { weight: 1, arbitrary: fc.integer({ min: 300, max: 100_000 }).map((n) => `docker://${'a'.repeat(n)}`) },
  { weight: 1, arbitrary: fc.integer({ min: 300, max: 100_000 }).map((n) => `docker://${'a.'.repeat(n)}/x`) },
);

export const imageNameTarget = defineTarget({
  name: 'image-name',
  about: "parseImageName for every transport (docker://, oci:, oci-archive:, docker-archive:, dir:)",
  codes: ['INVALID_REFERENCE', 'UNKNOWN_TRANSPORT'],
  ciRuns: 2400,
  arbitrary: imageName,
  open: async () => ({
    run: (s: string) => {
      const ref = parseImageName(s);
      ref.toString();
    },
  }),
});

export const platformTarget = defineTarget({
  name: 'platform',
  about: 'parsePlatform of --platform values',
  codes: ['INVALID_ARGUMENT'],
  ciRuns: 900,
  arbitrary: fc.oneof(edited(fc.constantFrom('linux/amd64', 'linux/arm64/v8', 'windows/amd64', 'linux/arm/v7')), fc.string({ maxLength: 20 })),
  open: async () => ({ run: (s: string) => parsePlatform(s) }),
});
