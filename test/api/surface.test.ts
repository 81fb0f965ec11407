// The library's public surface: every exported name is listed here, so adding or
// removing one is a deliberate change. The package's main entry must be what this imports.
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { test } from 'node:test';
import * as api from '../../src/index.js';

const EXPECTED = `Digester DirReference DockerReference ENCRYPTED_SUFFIX ImgsealError LayerDecryptor LayerEncryptor MediaType
OciLayoutReference REF_NAME_ANNOTATION VERSION canonicalDescriptor copyImage decodeLayer decryptedMediaType detectManifestMediaType
digestHex digestOf dirTransport dockerArchiveTransport dockerTransport encryptedMediaType formatDockerName formatPlatform
generateKeyPair getTransport hostPlatform imageConfig inspectImage installMemoryPacer isDigest isEncryptableLayerMediaType
isEncryptedMediaType isImgsealError isIndexMediaType isManifestMediaType layerCompression
layerInfo listTags loadDecryptionKey login logout memoryPacerStats newLayerSecrets normalizePlatform ociArchiveTransport ociLayerMediaType
ociTransport parseDescriptor parsePayload parseDigest parseDockerName parseImageConfig parseImageName parseManifest parsePlatform
parseRecipient platformMatches publicKeyFingerprint rawManifest readEncryptionAnnotations readKeyDirectory registerTransport
selectLayers serializeManifest SchemeRegistry addLayerRecipients decryptTransforms defaultSchemes encryptLayer forScheme jweScheme
loadSchemeConfig openLayer removeLayerRecipients pgpScheme providerScheme parseKeyProviderConfig keyProviderServiceDefinition sha256Digest silentProgress transportNames verifyDigest writeKeyPair
canonicalJson resolveTrustedImage resolveTrustedTag trustInspect trustKeyGenerate trustKeyLoad trustRevoke trustSign trustSignerAdd
trustSignerRemove verifyRepository
pkcs7Scheme pkcs11Scheme
PolicyContext checkImagePolicy evaluatePolicy loadPolicy parsePolicy verifySimpleSignature gpgManifestSigner keyFileManifestSigner
sigstoreManifestSigner decryptSigstorePrivateKey generateSigstoreKeyFiles
KeySyncAgent SecretApiSource readSecretVolume KeyProtectClient parseKeyProtectConfig KeyProtectKms Pkcs11Kms parsePkcs11KmsConfig routeUnwrap`.split(/\s+/);

const root = new URL('../../../', import.meta.url);

test('the public surface is exactly the listed names', () => {
  assert.deepEqual(Object.keys(api).sort(), [...EXPECTED].sort());
});

test('every transport is reachable by name', () => {
  assert.deepEqual(api.transportNames(), ['dir', 'docker', 'docker-archive', 'oci', 'oci-archive']);
  assert.equal(api.parseImageName('oci:/tmp/x:v1').toString(), 'oci:/tmp/x:v1');
  assert.equal(api.parseImageName('docker://alpine').toString(), 'docker://docker.io/library/alpine:latest');
});

test('package.json points at this entry and carries the same version', () => {
  const pkg = JSON.parse(readFileSync(new URL('package.json', root), 'utf8'));
  assert.equal(pkg.main, 'dist/src/index.js');
  assert.equal(pkg.bin.imgseal, 'dist/cli/main.js');
  assert.equal(pkg.version, api.VERSION);
});
