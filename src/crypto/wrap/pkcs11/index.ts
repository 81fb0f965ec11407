/**
 * The `pkcs11` key-wrap scheme (spec §5.4, ocicrypt's "experimental" scheme):
 * `pkcs11:KEYFILE.yaml` or `pkcs11:PUBKEY.pem` recipients; `--decryption-key
 * KEYFILE.yaml` private keys that stay on the token. A pkcs11 key also opens
 * JWEs addressed to the token's RSA key (RSA-OAEP on the token), which is how
 * images skopeo encrypted with `jwe:` to a token's public key are read.
 *
 * Configuration: the module policy is `SchemeConfig.pkcs11` when the caller set
 * it, else read (when a token is first used) from OCICRYPT_CONFIG / XDG /
 * ~/.config as ocicrypt does; the OAEP hash is `SchemeConfig.pkcs11.oaepHash`,
 * else OCICRYPT_OAEP_HASHALG, else SHA-1 (see oaep.ts for why).
 */
import type { KeyObject } from 'node:crypto';
import { ImgsealError } from '../../../errors.js';
import { readKeyFile } from '../../keys/files.js';
import type { OaepDeviceKey } from '../jwe/external-key.js';
import { privateKeyOf } from '../../keys/material.js';
import type { DecryptionKey, KeyScheme, Recipient, SchemeConfig } from '../types.js';
import { loadPkcs11Policy, type Pkcs11Policy } from './config.js';
import { isPkcs11KeyFileText } from './key-file.js';
import { oaepHashFromEnv, type OaepHash } from './oaep.js';
import {
  describePkcs11Recipients,
  loadPkcs11PrivateKey,
  loadPkcs11Recipient,
  tokenOaepDecrypter,
  unwrapPkcs11,
  wrapPkcs11,
  type Pkcs11PrivateKey,
  type Pkcs11RecipientKey,
} from './scheme.js';

export const PKCS11_KEY_KIND = 'pkcs11-key';

/** A pkcs11 DecryptionKey's material; `decryptOaep` (jwe/external-key.ts OaepDeviceKey) lets the JWE scheme use the token. */
export interface Pkcs11KeyMaterial extends Pkcs11PrivateKey, OaepDeviceKey {}

function policyOf(config: SchemeConfig): () => Pkcs11Policy {
  return () => {
    const p = config.pkcs11;
    if (p) return { source: 'the configured PKCS#11 policy', moduleDirectories: p.moduleDirectories, allowedModulePaths: p.allowedModulePaths };
    return loadPkcs11Policy(config.env);
  };
}

function hashOf(config: SchemeConfig): OaepHash {
  return config.pkcs11?.oaepHash ?? oaepHashFromEnv(config.env);
}

function recipientKey(r: Recipient): Pkcs11RecipientKey {
  const m = r.material as Partial<Pkcs11RecipientKey> | undefined;
  if (r.scheme !== 'pkcs11' || !m?.publicKey) throw new ImgsealError('INVALID_RECIPIENT', `${r.source}: not a pkcs11 recipient`);
  return m as Pkcs11RecipientKey;
}

function tokenKeys(keys: readonly DecryptionKey[]): Pkcs11PrivateKey[] {
  return keys.filter((k) => k.kind === PKCS11_KEY_KIND).map((k) => k.material as Pkcs11KeyMaterial);
}

// RSA-OAEP ciphertexts name no key, and telling them apart would need every
// recipient's private key on its token: rotate instead.
function cannotRemove(): ImgsealError {
  return new ImgsealError('INVALID_RECIPIENT', 'pkcs11 entries carry no recipient identifier, so a pkcs11 recipient cannot be removed; use `imgseal recipients rotate`');
}

export const pkcs11Scheme: KeyScheme = {
  prefix: 'pkcs11',
  handles: (scheme) => scheme === 'pkcs11',
  parseRecipient: async (value, ctx) => {
    const source = `pkcs11:${value}`;
    if (ctx.purpose === 'match') throw cannotRemove();
    if (value === '') throw new ImgsealError('INVALID_RECIPIENT', `Invalid recipient format: ${source} (missing key file after pkcs11:)`);
    const data = await readKeyFile(value, 'INVALID_RECIPIENT');
    const key = loadPkcs11Recipient(data, value, source, policyOf(ctx.config));
    return { scheme: 'pkcs11', source, label: key.uri ? `pkcs11:${key.uri}` : source, material: key };
  },
  loadKeyFile: async (file, ctx) => {
    const text = file.data.toString('utf8');
    if (!isPkcs11KeyFileText(text)) return undefined;
    const key = loadPkcs11PrivateKey(text, file.path, policyOf(ctx.config));
    const material: Pkcs11KeyMaterial = { ...key, decryptOaep: tokenOaepDecrypter(key) };
    return { source: file.path, kind: PKCS11_KEY_KIND, material };
  },
  wrap: async (_scheme, privateOptions, recipients, ctx) => wrapPkcs11(privateOptions, recipients.map(recipientKey), hashOf(ctx.config)),
  unwrap: async (_scheme, entry, keys) => {
    const software = keys.keys.map(privateKeyOf).filter((k): k is KeyObject => k !== undefined);
    return unwrapPkcs11(entry, tokenKeys(keys.keys), software);
  },
  describe: async (_scheme, entry) => describePkcs11Recipients(entry),
  removeRecipients: async () => {
    throw cannotRemove();
  },
};

