/**
 * Parsers that arrived after the first targets: TUF metadata (content trust), PKCS#11
 * key files, URIs and OCICRYPT_CONFIG policy, key-provider configuration, PKCS#7 and
 * OpenPGP annotation entries, the decoder's fd-3 payload, stored signatures.
 */
import { readdirSync, readFileSync, statSync } from 'node:fs';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import fc from 'fast-check';
import { parsePkcs11Policy } from '../../../src/crypto/wrap/pkcs11/config.js';
import { parsePkcs11KeyFile } from '../../../src/crypto/wrap/pkcs11/key-file.js';
import { parsePkcs11Uri } from '../../../src/crypto/wrap/pkcs11/uri.js';
import { describePkcs7Recipients } from '../../../src/crypto/wrap/pkcs7/envelope.js';
import { parseEnvelope as parseCmsEnvelope } from '../../../src/crypto/wrap/pkcs7/cms.js';
import { messageLayout, pkeskKeyId } from '../../../src/crypto/wrap/pgp/packets.js';
import { pgpRecipientKeyIds } from '../../../src/crypto/wrap/pgp/message.js';
import { parseKeyProviderConfig } from '../../../src/crypto/wrap/provider/config.js';
import { parsePayload } from '../../../src/node/decoder/payload.js';
import { parseStoredSignature } from '../../../src/signature/storage-format.js';
import { parseRoot, parseSnapshot, parseTargets, parseTimestamp } from '../../../src/trust/tuf/metadata.js';
import { fixtureEncryptedLayers } from '../arbitraries/fixtures.js';
import { mutatedJson } from '../arbitraries/json.js';
import { base64Like, digestLike, edited } from '../arbitraries/text.js';
import { defineTarget } from '../harness/target.js';
import { encodePayload } from '../../node/decoder-helpers.js';

const NOTARY = fileURLToPath(new URL('../../../../test/fixtures/notary/cli-session/', import.meta.url));

function jsonFiles(dir: string): string[] {
  return readdirSync(dir).flatMap((f) => {
    const p = join(dir, f);
    if (statSync(p).isDirectory()) return jsonFiles(p);
    return f.endsWith('.json') ? [p] : [];
  });
}

type Role = 'root' | 'targets' | 'snapshot' | 'timestamp';
const tufSeeds = new Map<Role, unknown[]>([['root', []], ['targets', []], ['snapshot', []], ['timestamp', []]]);
for (const p of jsonFiles(NOTARY).sort()) {
  let doc: { signed?: { _type?: unknown } };
  try {
    doc = JSON.parse(readFileSync(p, 'utf8')) as typeof doc;
  } catch {
    continue;
  }
  const t = String(doc.signed?._type ?? '').toLowerCase();
  if (t === 'root' || t === 'targets' || t === 'snapshot' || t === 'timestamp') tufSeeds.get(t)?.push(doc);
}
const TUF_KEYS = ['signed', 'signatures', '_type', 'version', 'expires', 'keys', 'roles', 'keyids', 'threshold', 'meta', 'hashes', 'length', 'sha256', 'sha512', 'targets', 'delegations', 'paths', 'name', 'keytype', 'keyval', 'public', 'private', 'sig', 'method', 'keyid', 'consistent_snapshot'];
const tufValues = [base64Like, digestLike, fc.constantFrom('ecdsa', 'rsapss', 'ed25519', 'ecdsa-x509', 'rsa-x509', '2030-01-01T00:00:00Z', '1970-01-01T00:00:00Z', 'not a time', 'targets/releases', 'root', 'Root')];
const PARSE: Record<Role, (b: Buffer) => unknown> = { root: (b) => parseRoot(b), targets: (b) => parseTargets(b, 'targets.json'), snapshot: (b) => parseSnapshot(b), timestamp: (b) => parseTimestamp(b) };
const roles = [...tufSeeds.entries()].filter(([, s]) => s.length > 0);

export const tufTarget = defineTarget({
  name: 'tuf-metadata',
  about: 'Notary TUF metadata: parseRoot, parseTargets, parseSnapshot, parseTimestamp',
  codes: ['TRUST_METADATA_INVALID'],
  ciRuns: 400,
  arbitrary: fc.oneof(...roles.map(([role, seeds]) => mutatedJson(seeds, { values: tufValues, keys: TUF_KEYS }).map((text) => ({ role, text })))),
  open: async () => ({ run: ({ role, text }: { role: Role; text: string }) => PARSE[role](Buffer.from(text, 'utf8')) }),
});

const URI = 'pkcs11:token=my%20token;object=k1;id=%01%fe;type=private?module-name=softhsm2&pin-value=s3cr3t';
const uriLike = fc.oneof(edited(fc.constantFrom(URI, 'pkcs11:slot-id=0;object=k?module-path=/usr/lib/softhsm/libsofthsm2.so', 'pkcs11:token=a;object=b?pin-source=file:/p')), fc.string({ maxLength: 40 }).map((s) => `pkcs11:${s}`));
const yamlText = fc.oneof(
  fc.tuple(uriLike, fc.option(fc.dictionary(fc.oneof(fc.constantFrom('SOFTHSM2_CONF', 'BAD-NAME', ''), fc.string({ maxLength: 8 })), fc.string({ maxLength: 12 }), { maxKeys: 3 }))).map(
    ([u, env]) => `pkcs11:\n  uri: ${JSON.stringify(u)}\n${env ? `module:\n  env:\n${Object.entries(env).map(([k, v]) => `    ${JSON.stringify(k)}: ${JSON.stringify(v)}\n`).join('')}` : ''}`,
  ),
  edited(fc.constant(`pkcs11:\n  uri: "${URI}"\nmodule:\n  env:\n    SOFTHSM2_CONF: /x/softhsm2.conf\n`)),
  fc.constantFrom('pkcs11: !!binary aGk=\n', 'pkcs11: &a [*a]\n', 'a: &x {b: *x}\n', '%YAML 1.1\n---\npkcs11: {uri: x}\n', 'pkcs11:\n  uri: <<\n', '- a\n- b\n', ''),
  fc.string({ unit: 'binary', maxLength: 80 }),
);
const policyText = fc.oneof(
  edited(fc.constant('pkcs11:\n  module-directories:\n    - /m/\n  allowed-module-paths:\n    - /m/libgood.so\n    - /d/\n')),
  edited(fc.constant('pkcs11: {module-directories: [/h/], allowed-module-paths: [/h/]}\n')),
  fc.string({ unit: 'binary', maxLength: 80 }),
);

export const pkcs11FilesTarget = defineTarget({
  name: 'pkcs11-files',
  about: 'PKCS#11 key-file YAML, RFC 7512 URIs and the OCICRYPT_CONFIG pkcs11 policy',
  codes: ['INVALID_KEY', 'INVALID_ARGUMENT'],
  ciRuns: 600,
  arbitrary: fc.oneof(yamlText.map((t) => ({ kind: 'key' as const, t })), uriLike.map((t) => ({ kind: 'uri' as const, t })), policyText.map((t) => ({ kind: 'policy' as const, t }))),
  open: async () => ({
    run: ({ kind, t }: { kind: 'key' | 'uri' | 'policy'; t: string }) => (kind === 'key' ? parsePkcs11KeyFile(t, 'k.yaml') : kind === 'uri' ? parsePkcs11Uri(t) : parsePkcs11Policy(t, 'c.conf')),
  }),
});

const providerSeeds = [
  { 'key-providers': { a: { cmd: { path: '/usr/bin/kp', args: ['-x'] } }, b: { grpc: 'localhost:5000' } } },
  { 'key-providers': { 'x.y': { cmd: { path: '/bin/true', args: [] } } } },
];

export const keyProviderConfigTarget = defineTarget({
  name: 'keyprovider-config',
  about: 'ocicrypt key-provider configuration (strict JSON)',
  codes: ['INVALID_CONFIG', 'INVALID_ARGUMENT'],
  ciRuns: 600,
  arbitrary: mutatedJson(providerSeeds, { values: [fc.constantFrom('/usr/bin/kp', 'relative', 'unix:///s', 'localhost:0', '[::1]:1')], keys: ['key-providers', 'cmd', 'grpc', 'path', 'args', 'env'] }),
  open: async () => ({ run: (t: string) => parseKeyProviderConfig(t, 'ocicrypt.json') }),
});

function entriesOf(scheme: string): Buffer[] {
  return fixtureEncryptedLayers().flatMap((l) =>
    (l.annotations[`org.opencontainers.image.enc.keys.${scheme}`] ?? '')
      .split(',')
      .filter((e) => e !== '')
      .map((e) => Buffer.from(e, 'base64')),
  );
}

/** An entry with a few bytes changed, cut, or grown. */
function damagedBytes(seeds: Buffer[]): fc.Arbitrary<Buffer> {
  const edit = fc.oneof(
    fc.tuple(fc.nat(), fc.integer({ min: 0, max: 255 })).map(([at, b]) => ({ kind: 'byte' as const, at, b })),
    fc.nat().map((at) => ({ kind: 'cut' as const, at })),
    fc.tuple(fc.nat(), fc.uint8Array({ minLength: 1, maxLength: 8 })).map(([at, bytes]) => ({ kind: 'insert' as const, at, bytes })),
  );
  return fc.tuple(fc.nat({ max: Math.max(0, seeds.length - 1) }), fc.array(edit, { minLength: 0, maxLength: 4 })).map(([i, edits]) => {
    let b = Buffer.from(seeds[i] ?? Buffer.alloc(0));
    for (const e of edits) {
      if (e.kind === 'byte' && b.length > 0) b[e.at % b.length] = e.b;
      else if (e.kind === 'cut') b = b.subarray(0, e.at % (b.length + 1));
      else if (e.kind === 'insert') {
        const at = e.at % (b.length + 1);
        b = Buffer.concat([b.subarray(0, at), e.bytes, b.subarray(at)]);
      }
    }
    return b;
  });
}

export const pkcs7Target = defineTarget({
  name: 'pkcs7',
  about: 'PKCS#7 (CMS EnvelopedData) annotation entries: parseEnvelope, describePkcs7Recipients',
  codes: ['INVALID_ENCRYPTION_METADATA'],
  ciRuns: 500,
  arbitrary: fc.oneof({ weight: 5, arbitrary: damagedBytes(entriesOf('pkcs7')) }, { weight: 1, arbitrary: fc.uint8Array({ maxLength: 200 }).map((u) => Buffer.from(u)) }),
  open: async () => ({
    run: (entry: Buffer) => {
      describePkcs7Recipients(entry);
      parseCmsEnvelope(entry);
    },
  }),
});

export const pgpTarget = defineTarget({
  name: 'pgp',
  about: 'OpenPGP annotation entries: packet layout, PKESK key ids, openpgp.js message reading',
  codes: ['INVALID_ENCRYPTION_METADATA'],
  ciRuns: 200,
  arbitrary: fc.oneof({ weight: 5, arbitrary: damagedBytes(entriesOf('pgp')) }, { weight: 1, arbitrary: fc.uint8Array({ maxLength: 200 }).map((u) => Buffer.from(u)) }),
  open: async () => ({
    run: async (entry: Buffer) => {
      try {
        const { pkesks } = messageLayout(entry);
        for (const p of pkesks) pkeskKeyId(p);
      } catch (err) {
        // messageLayout refuses with INVALID_ENCRYPTION_METADATA; anything else is a crash (the property checks it).
        if (!(err instanceof Error) || (err as { code?: string }).code !== 'INVALID_ENCRYPTION_METADATA') throw err;
      }
      await pgpRecipientKeyIds(entry);
    },
  }),
});

const D = `sha256:${'ab'.repeat(32)}`;
const payloadSeeds = [
  encodePayload({ mediaType: 'application/vnd.oci.image.layer.v1.tar+gzip+encrypted', digest: D, size: 161, annotations: { 'org.opencontainers.image.enc.keys.jwe': 'eyJh', 'org.opencontainers.image.enc.pubopts': 'e30=' } }),
  encodePayload({ mediaType: 'application/vnd.oci.image.layer.v1.tar+encrypted', digest: D, size: 1 }, { 'privkeys': ['a2V5'], 'privkeys-passwords': [''] }),
];

export const decoderPayloadTarget = defineTarget({
  name: 'decoder-payload',
  about: "the decoder's fd-3 payload (protobuf Any of containerd's ocicrypt Payload)",
  codes: ['DECODER_PAYLOAD'],
  ciRuns: 600,
  arbitrary: fc.oneof({ weight: 5, arbitrary: damagedBytes(payloadSeeds) }, { weight: 1, arbitrary: fc.uint8Array({ maxLength: 100 }).map((u) => Buffer.from(u)) }),
  open: async () => ({ run: (b: Buffer) => parsePayload(b) }),
});

export const storedSignatureTarget = defineTarget({
  name: 'stored-signature',
  about: 'stored signature blobs (simple signing, sigstore) by their format marker',
  codes: ['SIGNATURE_INVALID'],
  ciRuns: 500,
  arbitrary: fc.oneof(
    damagedBytes([Buffer.from('\u0000simple-signing\n{"a":1}'), Buffer.from([0xa3, 0x01, 0x02]), Buffer.from('\u0000sigstore-json\n{"mimeType":"application/vnd.dev.cosign.simplesigning.v1+json","payload":"e30=","annotations":{"a":"b"}}')]),
    fc.uint8Array({ maxLength: 60 }).map((u) => Buffer.from(u)),
  ),
  open: async () => ({ run: (b: Buffer) => parseStoredSignature(b, 'sig-1') }),
});
