// Signatures in the transport contract: they travel with an unchanged image to a
// destination that stores them, a destination without storage or a copy that changes
// the manifest fails before anything is written (unless removeSignatures), and the
// source policy sees every image before the destination is opened.
import assert from 'node:assert/strict';
import { cpSync, existsSync, mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, test } from 'node:test';
import { ImgsealError, isImgsealError } from '../../src/errors.js';
import { copyImage } from '../../src/copy/index.js';
import type { SourcePolicy, UntrustedSourceImage } from '../../src/copy/options.js';
import { parseRecipient } from '../../src/crypto/keys/index.js';
import { parseImageName } from '../../src/transports/transports.js';

const FIXTURES = new URL('../../../test/fixtures/', import.meta.url).pathname;
const SIGNED_DIR = join(FIXTURES, 'signing/simple-lookaside/pulled-dir-transport');
const PUB = join(FIXTURES, 'ocicrypt/jwe-rsa2048/keys/rsa1_pub.pem');
const MANIFEST_DIGEST = 'sha256:5919302076be9b539bdee994e1f196b582be4beafdca6412db2fce483e7a74b8';

const tmp = mkdtempSync(join(tmpdir(), 'imgseal-sigcopy-'));
after(() => rmSync(tmp, { recursive: true, force: true }));
let n = 0;
const fresh = (): string => join(tmp, `out${n++}`);

test('dir: → dir: carries signature-1 byte for byte', async () => {
  const out = fresh();
  const r = await copyImage(parseImageName(`dir:${SIGNED_DIR}`), parseImageName(`dir:${out}`));
  assert.equal(r.digest, MANIFEST_DIGEST);
  assert.deepEqual(readFileSync(join(out, 'signature-1')), readFileSync(join(SIGNED_DIR, 'signature-1')));
  assert.equal(existsSync(join(out, 'signature-2')), false);
});

test('to a destination without signature storage: one clear error, nothing written; removeSignatures copies', async () => {
  const out = fresh();
  await assert.rejects(copyImage(parseImageName(`dir:${SIGNED_DIR}`), parseImageName(`oci:${out}:v1`)), (err: unknown) => {
    assert.ok(isImgsealError(err, 'SIGNATURES_NOT_SUPPORTED'), String(err));
    assert.match(err.message, /^Can not copy signatures to oci:.*cannot store signatures \(use --remove-signatures/);
    return true;
  });
  assert.equal(existsSync(out), false);
  await copyImage(parseImageName(`dir:${SIGNED_DIR}`), parseImageName(`oci:${out}:v1`), { removeSignatures: true });
  assert.ok(existsSync(join(out, 'index.json')));
});

test('encrypting a signed image fails before writing unless removeSignatures', async () => {
  const out = fresh();
  const encrypt = { recipients: [await parseRecipient(`jwe:${PUB}`)] };
  await assert.rejects(copyImage(parseImageName(`dir:${SIGNED_DIR}`), parseImageName(`dir:${out}`), { encrypt }), (err: unknown) => {
    assert.ok(isImgsealError(err, 'SIGNATURES_NOT_SUPPORTED'), String(err));
    assert.match(err.message, /encrypting changes the manifest, which would invalidate the source's signatures/);
    return true;
  });
  assert.equal(existsSync(out), false);
  await copyImage(parseImageName(`dir:${SIGNED_DIR}`), parseImageName(`dir:${out}`), { encrypt, removeSignatures: true });
  assert.equal(existsSync(join(out, 'signature-1')), false);
});

test('the policy sees the verified manifest and the untrusted signatures; a rejection opens no destination', async () => {
  const seen: UntrustedSourceImage[] = [];
  const rejecting: SourcePolicy = {
    async requireAccepted(image) {
      seen.push(image);
      throw new ImgsealError('POLICY_REJECTED', 'Source image rejected: test policy');
    },
  };
  const out = fresh();
  await assert.rejects(copyImage(parseImageName(`dir:${SIGNED_DIR}`), parseImageName(`dir:${out}`), { policy: rejecting }), /^ImgsealError: Source image rejected: test policy$/);
  assert.equal(existsSync(out), false);
  // no staging folder beside it either
  assert.deepEqual(
    (await import('node:fs')).readdirSync(tmp).filter((f) => f.includes(`out${n - 1}`)),
    [],
  );
  assert.equal(seen.length, 1);
  assert.equal(seen[0]!.manifest.digest, MANIFEST_DIGEST);
  assert.equal(seen[0]!.untrustedSignatures.length, 1);
  assert.equal(seen[0]!.untrustedSignatures[0]!.kind, 'simple-signing');
});

test('a sigstore-json signature in dir: parses to payload and annotations and is written back identically', async () => {
  const src = fresh();
  cpSync(SIGNED_DIR, src, { recursive: true });
  cpSync(join(FIXTURES, 'signing/sigstore-attachment/dir-transport-signature-1'), join(src, 'signature-2'));
  const out = fresh();
  const seen: UntrustedSourceImage[] = [];
  await copyImage(parseImageName(`dir:${src}`), parseImageName(`dir:${out}`), { policy: { requireAccepted: async (i) => void seen.push(i) } });
  const sig = seen[0]!.untrustedSignatures[1]!;
  assert.equal(sig.kind, 'sigstore');
  if (sig.kind === 'sigstore') {
    assert.equal(sig.mimeType, 'application/vnd.dev.cosign.simplesigning.v1+json');
    assert.deepEqual(sig.untrustedPayload, readFileSync(join(FIXTURES, 'signing/sigstore-attachment/payload.json')));
    assert.ok(sig.untrustedAnnotations['dev.cosignproject.cosign/signature']);
  }
  assert.deepEqual(readFileSync(join(out, 'signature-2')), readFileSync(join(src, 'signature-2')));
});
