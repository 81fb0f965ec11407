// Shared helpers for the crypto tests: locating and reading the skopeo vectors.
import { readFileSync, readdirSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { describeJweRecipients } from '../../src/crypto/wrap/jwe/describe.js';
import { jweScheme, type DecryptionKey, type JweRecipientMaterial, type Recipient } from '../../src/crypto/index.js';

// Tests run from dist/test/crypto/; fixtures stay in the source tree.
export const FIXTURES = fileURLToPath(new URL('../../../test/fixtures/ocicrypt/', import.meta.url));

export interface ExpectedLayer {
  index: number;
  mediaType: string;
  digest: string;
  pubopts_json?: string;
  privopts_json?: string;
  plaintext_blob_digest?: string;
  wrapped_key_entries?: Record<string, number>;
}

export function expected(kase: string): { manifest_digest: string; layers: ExpectedLayer[] } {
  return JSON.parse(readFileSync(`${FIXTURES}${kase}/expected.json`, 'utf8'));
}

export function blob(kase: string, digest: string): Buffer {
  return readFileSync(`${FIXTURES}${kase}/image/blobs/sha256/${digest.slice('sha256:'.length)}`);
}

interface LayerDesc {
  mediaType: string;
  digest: string;
  size: number;
  annotations?: Record<string, string>;
}

/** Layer descriptors of the image tagged `enc`. */
export function encLayers(kase: string): LayerDesc[] {
  const index = JSON.parse(readFileSync(`${FIXTURES}${kase}/image/index.json`, 'utf8'));
  const m = index.manifests.find((d: { annotations?: Record<string, string> }) => d.annotations?.['org.opencontainers.image.ref.name'] === 'enc');
  return JSON.parse(blob(kase, m.digest).toString('utf8')).layers;
}

export function keyPath(kase: string, file: string): string {
  return `${FIXTURES}${kase}/keys/${file}`;
}

export function keyFiles(kase: string): string[] {
  return readdirSync(`${FIXTURES}${kase}/keys`).sort();
}

/** The jwe scheme with an empty configuration, in the shape the older tests call it. */
export const jwe = {
  wrap: (privateOptions: Uint8Array, recipients: readonly Recipient[]) => jweScheme.wrap('jwe', privateOptions, recipients, { config: { env: {} } }),
  unwrap: (entry: Uint8Array, keys: readonly DecryptionKey[]) => jweScheme.unwrap('jwe', entry, { config: { env: {} }, keys }),
  describeRecipients: (entry: Uint8Array) => describeJweRecipients(entry),
};

/** The JWE fingerprint (thumbprint) of a parsed JWE recipient. */
export function fingerprintOf(r: Recipient): string {
  return (r.material as JweRecipientMaterial).fingerprint;
}
