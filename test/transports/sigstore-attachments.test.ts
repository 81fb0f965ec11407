// Reading `.sig` attachments (spec §4.1) from a scripted registry: a missing tag is no
// signatures, the recorded vector reads as one sigstore signature, and a wrong media
// type, a server error, a blob that does not match its digest or one over 4 MiB fail the
// read; without use-sigstore-attachments the tag is never asked for.
import assert from 'node:assert/strict';
import { createHash } from 'node:crypto';
import { mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, test } from 'node:test';
import { isImgsealError } from '../../src/errors.js';
import type { Digest } from '../../src/model/digest.js';
import { parseImageName } from '../../src/transports/transports.js';
import { scriptedRegistry } from '../testkit/hostile-registry.js';

const F = new URL('../../../test/fixtures/signing/sigstore-attachment/', import.meta.url).pathname;
const DIGEST = 'sha256:5919302076be9b539bdee994e1f196b582be4beafdca6412db2fce483e7a74b8' as Digest;
const TAG = 'sha256-5919302076be9b539bdee994e1f196b582be4beafdca6412db2fce483e7a74b8.sig';
const payload = readFileSync(join(F, 'payload.json'));
const attachment = readFileSync(join(F, 'attachment-manifest.json'));
const sha = (b: Buffer): string => `sha256:${createHash('sha256').update(b).digest('hex')}`;
const tmp = mkdtempSync(join(tmpdir(), 'imgseal-attach-'));
after(() => rmSync(tmp, { recursive: true, force: true }));

function registriesDir(enabled: boolean): string {
  const d = join(tmp, enabled ? 'on' : 'off');
  mkdirSync(d, { recursive: true });
  writeFileSync(join(d, 'r.yaml'), enabled ? 'default-docker:\n  use-sigstore-attachments: true\n' : 'default-docker:\n  use-sigstore-attachments: false\n');
  return d;
}

interface Script {
  sig: { status: number; type?: string; body?: Buffer };
  blob?: (digest: string) => Buffer | undefined;
}

async function read(script: Script, enabled = true): Promise<{ result: unknown; log: string[] }> {
  const reg = await scriptedRegistry((req, res) => {
    const url = req.url ?? '';
    if (url === '/v2/') return void res.writeHead(200, { 'content-type': 'application/json' }).end('{}');
    if (url === `/v2/sig/small/manifests/${TAG}`) {
      res.writeHead(script.sig.status, script.sig.type ? { 'content-type': script.sig.type } : {});
      return void res.end(script.sig.body ?? (script.sig.status === 404 ? '{"errors":[{"code":"MANIFEST_UNKNOWN","message":"manifest unknown"}]}' : ''));
    }
    const m = /^\/v2\/sig\/small\/blobs\/(sha256:[0-9a-f]{64})$/.exec(url);
    const b = m ? (script.blob ?? ((d) => (d === sha(payload) ? payload : undefined)))(m[1]!) : undefined;
    if (b) return void res.writeHead(200, { 'content-type': 'application/octet-stream', 'content-length': String(b.length) }).end(b);
    res.writeHead(404).end();
  });
  try {
    const src = await parseImageName(`docker://${reg.host}/sig/small:v1`).newImageSource({ tlsVerify: false, noCredentials: true, retryTimes: 0, registriesDir: registriesDir(enabled), env: { HOME: tmp } });
    try {
      const result = await src.getSignatures!(DIGEST).catch((e: unknown) => e);
      return { result, log: reg.log.map((l) => `${l.method} ${l.url}`) };
    } finally {
      await src.close();
    }
  } finally {
    await reg.close();
  }
}

const OCI = 'application/vnd.oci.image.manifest.v1+json';

test('no .sig tag: no signatures; the recorded attachment: one sigstore signature with its payload and annotation', async () => {
  const none = await read({ sig: { status: 404 } });
  assert.deepEqual(none.result, []);
  const one = await read({ sig: { status: 200, type: OCI, body: attachment } });
  assert.ok(Array.isArray(one.result), String(one.result));
  const [sig] = one.result as { kind: string; mimeType: string; untrustedPayload: Buffer; untrustedAnnotations: Record<string, string> }[];
  assert.equal(sig!.kind, 'sigstore');
  assert.equal(sig!.mimeType, 'application/vnd.dev.cosign.simplesigning.v1+json');
  assert.deepEqual(sig!.untrustedPayload, payload);
  assert.equal(sig!.untrustedAnnotations['dev.cosignproject.cosign/signature'], readFileSync(join(F, 'signature.b64'), 'utf8').trim());
});

test('use-sigstore-attachments off: the .sig tag is not asked for', async () => {
  const r = await read({ sig: { status: 200, type: OCI, body: attachment } }, false);
  assert.deepEqual(r.result, []);
  assert.ok(!r.log.some((l) => l.includes('.sig')), r.log.join('\n'));
});

test('a wrong media type, a server error, a blob with another digest, a blob over 4 MiB: the read fails with one line', async () => {
  const cases: [Script, string, RegExp][] = [
    [{ sig: { status: 200, type: 'application/vnd.docker.distribution.manifest.v2+json', body: attachment } }, 'UNSUPPORTED_MEDIA_TYPE', /unexpected MIME type for sigstore attachment manifest "application\/vnd\.docker\.distribution\.manifest\.v2\+json"/],
    [{ sig: { status: 500, type: 'text/plain', body: Buffer.from('boom') } }, 'REGISTRY_ERROR', /sigstore attachment sha256-5919.*\.sig/],
    [{ sig: { status: 200, type: OCI, body: attachment }, blob: () => Buffer.concat([payload.subarray(0, -1), Buffer.from(' ')]) }, 'DIGEST_MISMATCH', /reading signature 1 of sigstore attachment .*: the registry sent bytes with digest sha256:/],
    [{ sig: { status: 200, type: OCI, body: Buffer.from(attachment.toString().replace('"size":299', `"size":${(4 << 20) + 1}`)) } }, 'SIZE_MISMATCH', /more than the 4194304 allowed for a signature/],
  ];
  for (const [script, code, re] of cases) {
    const r = await read(script);
    assert.ok(isImgsealError(r.result), `${code}: ${String(r.result)}`);
    assert.equal((r.result as { code: string }).code, code, (r.result as Error).message);
    assert.match((r.result as Error).message, re);
    assert.ok(!(r.result as Error).message.includes('\n'));
  }
});
