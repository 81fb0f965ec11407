/** Every fuzz target, by name (the runner's and the tests' one list). */
import type { FuzzTarget } from '../harness/target.js';
import { dockerManifestJsonTarget, tarTarget } from './archive.js';
import { annotationsTarget, cipherOptionsTarget, jweTarget } from './crypto.js';
import { decryptionKeyTarget, recipientTarget } from './keys.js';
import { decoderPayloadTarget, keyProviderConfigTarget, pgpTarget, pkcs11FilesTarget, pkcs7Target, storedSignatureTarget, tufTarget } from './late.js';
import { configTarget, descriptorTarget, digestTarget, manifestTarget } from './model.js';
import { imageNameTarget, platformTarget } from './names.js';
import { authFileTarget, challengeTarget, linkTarget } from './registry.js';

const ALL: FuzzTarget[] = [
  manifestTarget,
  configTarget,
  descriptorTarget,
  digestTarget,
  annotationsTarget,
  cipherOptionsTarget,
  jweTarget,
  tarTarget,
  dockerManifestJsonTarget,
  challengeTarget,
  linkTarget,
  authFileTarget,
  imageNameTarget,
  platformTarget,
  decryptionKeyTarget,
  recipientTarget,
  tufTarget,
  pkcs11FilesTarget,
  keyProviderConfigTarget,
  pkcs7Target,
  pgpTarget,
  decoderPayloadTarget,
  storedSignatureTarget,
];

export const TARGETS: ReadonlyMap<string, FuzzTarget> = new Map(ALL.map((t) => [t.name, t]));
