// policy.json: strict parsing with one line naming the field and file, scope choice
// (most specific wins), identity rules, and evaluation against the skopeo vectors.
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { test } from 'node:test';
import { isImgsealError } from '../../src/errors.js';
import { candidateScopes, identityMatches, parsePolicy, PolicyContext } from '../../src/policy/index.js';
import { parseImageName } from '../../src/transports/transports.js';
import type { UntrustedSignature } from '../../src/transports/types.js';
import { sha256Digest } from '../../src/model/digest.js';

const F = new URL('../../../test/fixtures/signing/', import.meta.url).pathname;
const read = (p: string): Buffer => readFileSync(join(F, p));
const invalid = (text: string, re: RegExp): void => {
  assert.throws(() => parsePolicy(text, '/etc/p.json'), (err: unknown) => {
    assert.ok(isImgsealError(err, 'POLICY_INVALID'), String(err));
    assert.match(err.message, /^invalid policy in "\/etc\/p\.json": /);
    assert.match(err.message, re);
    assert.ok(!err.message.includes('\n'));
    return true;
  });
};

test('strict parse: unknown fields, duplicates, types, empty lists, unknown requirement type', () => {
  invalid('{"default":[{"type":"insecureAcceptAnything"}],"extra":1}', /Unknown key "extra" in the policy/);
  invalid('{"default":[{"type":"reject"}],"default":[{"type":"insecureAcceptAnything"}]}', /duplicate key "default"/);
  invalid('{"default":[{"type":"reject","keyPath":"/x"}]}', /Unknown key "keyPath" in default\[0\] \(reject\)/);
  invalid('{"default":[]}', /must not be empty/);
  invalid('{"transports":{}}', /Default policy is missing/);
  invalid('{"default":[{"type":"signedByMagic"}]}', /default\[0\]: unknown policy requirement type "signedByMagic"/);
  invalid('{"default":[{"type":"signedBy","keyType":"GPGKeys"}]}', /one of keyPath, keyPaths and keyData/);
  invalid('{"default":[{"type":"signedBy","keyType":"GPGKeys","keyPath":7}]}', /default\[0\]\.keyPath must be a string/);
  invalid('{"default":[{"type":"signedBy","keyPath":"/k"}]}', /invalid keyType ""/);
  invalid('{"default":[{"type":"reject"}]} x', /invalid policy/);
  invalid('{"default":[{"type":"reject"}],"transports":{"dir":{"relative/path":[{"type":"reject"}]}}}', /Unknown key "relative\/path" in transports\.dir/);
  invalid('{"default":[{"type":"reject"}],"transports":{"docker":{"a":[{"type":"signedBy","keyType":"GPGKeys","keyData":"AA==","signedIdentity":{"type":"matchAny"}}]}}}', /unknown signedIdentity type "matchAny"/);
});

test('docker scopes most specific first, wildcards from the host without port', () => {
  assert.deepEqual(candidateScopes('docker', 'a.b.example.com:5000/ns/repo:tag'), [
    'a.b.example.com:5000/ns/repo:tag',
    'a.b.example.com:5000/ns/repo',
    'a.b.example.com:5000/ns',
    'a.b.example.com:5000',
    '*.b.example.com',
    '*.example.com',
    '*.com',
  ]);
});

test('identity rules (spec §3.5)', () => {
  const img = '127.0.0.1:5000/test/small:v1';
  assert.equal(identityMatches({ type: 'matchRepoDigestOrExact' }, img, '127.0.0.1:5000/test/small:v1'), true);
  assert.equal(identityMatches({ type: 'matchRepoDigestOrExact' }, '127.0.0.1:5000/test/small:other', '127.0.0.1:5000/test/small:v1'), false);
  assert.equal(identityMatches({ type: 'matchRepoDigestOrExact' }, `127.0.0.1:5000/test/small@sha256:${'5'.repeat(64)}`, '127.0.0.1:5000/test/small:v1'), true);
  assert.equal(identityMatches({ type: 'matchRepository' }, '127.0.0.1:5000/test/small:other', '127.0.0.1:5000/test/small:v1'), true);
  assert.equal(identityMatches({ type: 'matchExact' }, 'docker.io/library/busybox:latest', 'busybox:latest'), true);
  assert.equal(identityMatches({ type: 'matchExact' }, 'docker.io/library/busybox:latest', 'busybox'), false);
  assert.equal(identityMatches({ type: 'remapIdentity', prefix: 'mirror.local:5000/vendor', signedPrefix: 'vendor.example.com' }, 'mirror.local:5000/vendor/app:1', 'vendor.example.com/app:1'), true);
  assert.equal(identityMatches({ type: 'exactRepository', dockerRepository: 'example.com/a' }, undefined, 'example.com/a:x'), true);
});

const manifest = read('image/manifest.json');
const sig = (p: string): UntrustedSignature => ({ kind: 'simple-signing', untrustedBlob: read(p) });
const image = (ref: string, sigs: UntrustedSignature[]) => ({ reference: parseImageName(ref), manifest: { bytes: manifest, digest: sha256Digest(manifest), mediaType: 'application/vnd.oci.image.manifest.v1+json' }, untrustedSignatures: sigs });

test('signedBy with the skopeo lookaside vector: key A accepts, key B rejects, other tag rejected, by digest accepted, unsigned rejected', async () => {
  const accept = new PolicyContext(parsePolicy(read('simple-lookaside/policy-accept-keyData.json').toString(), 'accept.json'));
  const wrong = new PolicyContext(parsePolicy(read('simple-lookaside/policy-reject-wrong-key-keyData.json').toString(), 'wrong.json'));
  const lookasideSig = sig('simple-lookaside/lookaside/test/small@sha256=5919302076be9b539bdee994e1f196b582be4beafdca6412db2fce483e7a74b8/signature-1');
  await accept.requireAccepted(image('docker://127.0.0.1:5000/test/small:v1', [lookasideSig]));
  await accept.requireAccepted(image(`docker://127.0.0.1:5000/test/small@${sha256Digest(manifest)}`, [lookasideSig]));
  await assert.rejects(wrong.requireAccepted(image('docker://127.0.0.1:5000/test/small:v1', [lookasideSig])), /^ImgsealError: Source image rejected: Invalid GPG signature: signed by key CBE55E801C44403D, which is not a trusted key$/);
  await assert.rejects(accept.requireAccepted(image('docker://127.0.0.1:5000/test/small:other', [lookasideSig])), /^ImgsealError: Source image rejected: Signature for identity 127.0.0.1:5000\/test\/small:v1 is not accepted$/);
  await assert.rejects(accept.requireAccepted(image('docker://127.0.0.1:5000/test/small:unsigned', [])), /^ImgsealError: Source image rejected: A signature was required, but no signature exists$/);
  // a signature for another digest (the standalone one is for the same digest but another reference; the modified manifest has another digest)
  const modified = read('image/manifest-modified.json');
  const other = { ...image('docker://127.0.0.1:5000/test/small:v1', [lookasideSig]), manifest: { bytes: modified, digest: sha256Digest(modified), mediaType: 'application/vnd.oci.image.manifest.v1+json' } };
  await assert.rejects(accept.requireAccepted(other), /Signature for docker digest "sha256:5919.*" does not match/);
  // the default list applies outside the scope: reject
  await assert.rejects(accept.requireAccepted(image('docker://quay.io/x/y:v1', [lookasideSig])), /Running image docker:\/\/quay\.io\/x\/y:v1 is rejected by policy\./);
});

test('several signatures, none accepted: reasons joined; unsatisfiable types reject saying so', async () => {
  const accept = new PolicyContext(parsePolicy(read('simple-lookaside/policy-accept-keyData.json').toString(), 'accept.json'));
  const twoBad = [sig('simple-standalone/sig-key-b-registry.example.com_test_small_v1.sig'), sig('simple-standalone/sig-key-a-registry.example.com_test_small_v1.sig')];
  await assert.rejects(accept.requireAccepted(image('docker://127.0.0.1:5000/test/small:v1', twoBad)), /None of the signatures were accepted, reasons: Invalid GPG signature: .*; Signature for identity registry\.example\.com\/test\/small:v1 is not accepted/);
  const base = new PolicyContext(parsePolicy('{"default":[{"type":"signedBaseLayer","baseLayerIdentity":{"type":"matchRepository"}}]}', 'b.json'));
  await assert.rejects(base.requireAccepted(image('docker://a.example/b:c', [])), /signedBaseLayer is not implemented/);
  const x509 = new PolicyContext(parsePolicy('{"default":[{"type":"signedBy","keyType":"X509Certificates","keyData":"AA=="}]}', 'x.json'));
  await assert.rejects(x509.requireAccepted(image('docker://a.example/b:c', [])), /Unimplemented "keyType" value "X509Certificates"/);
});

test('sigstoreSigned with the cosign-format vector: key A accepts, key B rejects', async () => {
  const payload = read('sigstore-attachment/payload.json');
  const annotations = { 'dev.cosignproject.cosign/signature': read('sigstore-attachment/signature.b64').toString().trim() };
  const s: UntrustedSignature = { kind: 'sigstore', mimeType: 'application/vnd.dev.cosign.simplesigning.v1+json', untrustedPayload: payload, untrustedAnnotations: annotations };
  const pol = (pub: string) => new PolicyContext(parsePolicy(JSON.stringify({ default: [{ type: 'sigstoreSigned', keyData: read(pub).toString('base64') }] }), 'sig.json'));
  await pol('sigstore-attachment/cosign-a.pub').requireAccepted(image('docker://127.0.0.1:5000/sig/small:v1', [s]));
  await assert.rejects(pol('sigstore-attachment/cosign-b.pub').requireAccepted(image('docker://127.0.0.1:5000/sig/small:v1', [s])), /cryptographic signature verification failed/);
});
