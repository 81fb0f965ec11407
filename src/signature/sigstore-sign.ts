/**
 * Making sigstore (cosign-format) signatures as containers/image does (spec §4.4–§4.5):
 * the payload is the simple-signing JSON with type `cosign container image signature`,
 * written sorted and compact with the full reference (tag included), creator and
 * timestamp; the signature covers the exact payload bytes with SHA-256 (ECDSA as ASN.1
 * DER, RSA PKCS#1 v1.5) or is pure Ed25519, base64 in the layer annotation.
 */
import { sign, type KeyObject } from 'node:crypto';
import type { ManifestSigner } from '../copy/options.js';
import type { ManifestBlob, UntrustedSignature } from '../transports/types.js';
import { VERSION } from '../version.js';
import { COSIGN_SIGNATURE_TYPE, serializePayload } from './payload.js';

export const COSIGN_SIMPLESIGNING_MIME = 'application/vnd.dev.cosign.simplesigning.v1+json';
export const COSIGN_SIGNATURE_ANNOTATION = 'dev.cosignproject.cosign/signature';
export const SIGSTORE_CREATOR = `imgseal ${VERSION}`;

/** The raw signature over `payload` for the key's type (ECDSA signatures are DER, Node's default). */
export function signCosignPayload(key: KeyObject, payload: Buffer): Buffer {
  return sign(key.asymmetricKeyType === 'ed25519' ? null : 'sha256', payload, key);
}

/** A sigstore signature of `manifestDigest` as `dockerReference`. */
export function makeSigstoreSignature(key: KeyObject, manifestDigest: string, dockerReference: string, timestamp: number): UntrustedSignature {
  const payload = serializePayload({ dockerManifestDigest: manifestDigest, dockerReference, creator: SIGSTORE_CREATOR, timestamp }, COSIGN_SIGNATURE_TYPE);
  return {
    kind: 'sigstore',
    mimeType: COSIGN_SIMPLESIGNING_MIME,
    untrustedPayload: payload,
    untrustedAnnotations: { [COSIGN_SIGNATURE_ANNOTATION]: signCosignPayload(key, payload).toString('base64') },
  };
}

/** Signs manifests as written at the destination with a sigstore private key (decrypted by the caller). */
export function sigstoreManifestSigner(key: KeyObject, o: { now?: () => number; keyName?: string } = {}): ManifestSigner {
  return {
    description: `a sigstore signature${o.keyName ? ` with ${o.keyName}` : ''}`,
    kind: 'sigstore',
    async sign(manifest: ManifestBlob, dockerReference: string): Promise<UntrustedSignature> {
      return makeSigstoreSignature(key, manifest.digest, dockerReference, Math.floor((o.now ? o.now() : Date.now()) / 1000));
    },
  };
}
