/**
 * The seeds' flow, end to end in one test, through the CLI only: build an image
 * (test kit) → `imgseal keygen` → `imgseal copy --encryption-key jwe:pub.pem oci:…
 * docker://…` (plain registry peer) → `imgseal decrypt docker://… oci:out` without a
 * key fails with `missing private key needed for decryption` and creates nothing →
 * with `--decryption-key` the files are back, byte for byte.
 */
import assert from 'node:assert/strict';
import { existsSync, readdirSync } from 'node:fs';
import { join } from 'node:path';
import { test } from 'node:test';
import { buildLayout } from '../testkit/image-builder.js';
import { readImage } from '../testkit/image-reader.js';
import { useRegistryPeer } from '../testkit/peers.js';
import { assertOneLineFailure, assertSameImage, imgseal, imgsealOk, regFlags, workDir } from './helpers.js';

const work = workDir('seed');
const reg = useRegistryPeer('plain');

test('build → keygen → encrypt + push → pull without key fails, creates nothing → pull with key restores the files', { timeout: 120_000 }, async (t) => {
  const peer = reg.get(t);
  if (!peer) return;
  const src = work.dir('src');
  const orig = await buildLayout(src, [
    { files: { 'app/run.sh': '#!/bin/sh\necho seed\n', 'etc/motd': 'built by the test kit\n' }, compression: 'gzip' },
    { files: { 'app/secret.env': 'TOKEN=do-not-leak-this-value\n' }, compression: 'none' },
  ]);

  const keys = join(work.root, 'keys');
  await imgsealOk(['keygen', '--type', 'rsa', '--private-key', `${keys}-priv.pem`, '--public-key', `${keys}-pub.pem`]);
  const ref = `docker://${peer.host}/seed/app:enc`;
  await imgsealOk(['copy', '-q', '--encryption-key', `jwe:${keys}-pub.pem`, `oci:${src}:base`, ref, ...regFlags(peer, 'dest')]);

  // What the registry holds is encrypted.
  const info = JSON.parse((await imgsealOk(['inspect', ref, ...regFlags(peer, 'src')])).stdout) as { LayersData: { MIMEType: string }[] };
  assert.deepEqual(
    info.LayersData.map((l) => l.MIMEType),
    ['application/vnd.oci.image.layer.v1.tar+gzip+encrypted', 'application/vnd.oci.image.layer.v1.tar+encrypted'],
  );

  const out = join(work.root, 'out');
  const before = readdirSync(work.root).sort();
  const r = await imgseal(['decrypt', ref, `oci:${out}`, ...regFlags(peer, 'src')]);
  // Not -q: even with progress on, the failure is the only line on stderr.
  const line = assertOneLineFailure(r, /missing private key needed for decryption/, 'decrypt without a key');
  assert.ok(!/TOKEN=|do-not-leak/.test(r.stderr), 'no plaintext in the error output');
  assert.ok(line.length < 400, 'one short line');
  assert.equal(existsSync(out), false, 'oci:out was not created');
  assert.deepEqual(readdirSync(work.root).sort(), before, 'nothing else was created next to it');

  await imgsealOk(['decrypt', '-q', '--decryption-key', `${keys}-priv.pem`, ref, `oci:${out}`, ...regFlags(peer, 'src')]);
  const got = await readImage(out);
  assertSameImage(got, orig, 'decrypted image');
  assert.equal(got.desc.digest, orig.manifest.digest, 'the decrypted manifest is the original one');
});
