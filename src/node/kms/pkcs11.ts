/**
 * The PKCS#11 KMS back end: key files wrapped with an AES key that never leaves a
 * token, with CKM_AES_GCM (C_Encrypt / C_Decrypt on the token).
 *
 * Why AES-GCM: the key wrap mechanisms (CKM_AES_KEY_WRAP, …_PAD) wrap *key objects*
 * only (C_WrapKey / C_UnwrapKey), so a key file would have to be imported as a
 * token object and come back as an extractable one; RSA-OAEP takes at most ~200 bytes
 * (a PEM key file is ~1.7 KB, an OpenPGP keyring more). AES-GCM encrypts any length,
 * authenticates it (an altered wrapped key is refused, nothing is written), and SoftHSM
 * 2.6 does it in C_Encrypt/C_Decrypt (`pkcs11-tool -M`: AES-GCM encrypt, decrypt).
 *
 * Token access is the pkcs11 scheme's (crypto/wrap/pkcs11/token.ts): the module
 * allow-list (OCICRYPT_CONFIG policy), slot by token label or slot id, login, the key
 * found by label and id. The PIN is read when the token is used and passed to
 * C_Login only; it is in no message.
 */
import { randomBytes } from 'node:crypto';
import { readFileSync } from 'node:fs';
import { ImgsealError } from '../../errors.js';
import { loadPkcs11Policy, type Pkcs11Policy } from '../../crypto/wrap/pkcs11/config.js';
import type { Pkcs11KeyFile } from '../../crypto/wrap/pkcs11/key-file.js';
import { keyObjectNames, tokenGcmDecrypt, tokenGcmEncrypt, tokenLabel } from '../../crypto/wrap/pkcs11/secret-key.js';
import { findKey, withTokenSession } from '../../crypto/wrap/pkcs11/token.js';
import type { Kms } from './kms.js';
import { decodePkcs11Envelope, encodePkcs11Envelope, envelopeAad } from './pkcs11-envelope.js';
import type { Pkcs11KmsConfig } from './pkcs11-config.js';

export interface Pkcs11KmsOptions {
  /** The module allow-list; default: the policy OCICRYPT_CONFIG (from `env`) names. */
  policy?: Pkcs11Policy;
  /** For `pin-env` and OCICRYPT_CONFIG; default process.env. */
  env?: Readonly<Record<string, string | undefined>>;
  /** The wrap key for `wrap`, over the config's key-label / key-id. */
  keyLabel?: string;
  keyId?: string;
}

interface KeyName {
  token: { label: string } | { slotId: number };
  label?: string;
  /** hex */
  id?: string;
}

const latin1 = (b: Buffer): string => b.toString('latin1');

export class Pkcs11Kms implements Kms {
  readonly backend = 'pkcs11';
  private readonly env: Readonly<Record<string, string | undefined>>;

  constructor(
    readonly config: Pkcs11KmsConfig,
    private readonly opts: Pkcs11KmsOptions = {},
  ) {
    this.env = opts.env ?? process.env;
  }

  wrap(keyFile: Uint8Array): Promise<string> {
    return Promise.resolve().then(() => {
      const { config } = this;
      if (!config.token) throw new ImgsealError('KMS_ERROR', `${config.file}: wrapping needs "token-label" or "slot-id"`);
      const label = this.opts.keyLabel ?? config.keyLabel;
      const id = this.opts.keyId ?? config.keyId;
      if (label === undefined && id === undefined) throw new ImgsealError('KMS_ERROR', `${config.file}: wrapping needs a key: "key-label" or "key-id" (or --key-label / --key-id)`);
      return this.session({ token: config.token, ...(label !== undefined ? { label } : {}), ...(id !== undefined ? { id } : {}) }, (s) => {
        const key = findKey(s, 'secret');
        const names = keyObjectNames(s, key);
        if (!names.aes) throw new ImgsealError('PKCS11_ERROR', `pkcs11: the key ${describe(names.label, names.id)} is not an AES key (${config.file})`);
        const head = { token: tokenLabel(s), keyLabel: names.label, keyId: names.id };
        const iv = randomBytes(12);
        const ciphertext = tokenGcmEncrypt(s, key, iv, envelopeAad(head), keyFile);
        return encodePkcs11Envelope({ ...head, iv, ciphertext });
      });
    });
  }

  unwrap(wrapped: string): Promise<Buffer> {
    return Promise.resolve().then(() => {
      const e = decodePkcs11Envelope(wrapped);
      const name: KeyName = { token: { label: e.token }, ...(e.keyLabel ? { label: e.keyLabel } : {}), ...(e.keyId ? { id: e.keyId } : {}) };
      return this.session(name, (s) => {
        const key = findKey(s, 'secret');
        const plain = tokenGcmDecrypt(s, key, e.iv, envelopeAad(e), e.ciphertext);
        if (!plain) {
          throw new ImgsealError('KMS_ERROR', `PKCS#11 unwrap: the wrapped key does not verify with key ${describe(e.keyLabel, e.keyId)} on token ${e.token} (altered, or wrapped by another key of that name)`);
        }
        return plain;
      });
    });
  }

  private session<T>(name: KeyName, fn: Parameters<typeof withTokenSession<T>>[3]): T {
    const keyFile = this.keyFile(name);
    const policy = this.opts.policy ?? loadPkcs11Policy(this.env);
    return withTokenSession(keyFile, policy, true, fn);
  }

  /** The token and key as the pkcs11 scheme's key file (a URI in memory); the PIN goes into it only here. */
  private keyFile(name: KeyName): Pkcs11KeyFile {
    const { config } = this;
    const path = new Map<string, string>();
    if ('label' in name.token) path.set('token', latin1(Buffer.from(name.token.label, 'utf8')));
    else path.set('slot-id', String(name.token.slotId));
    if (name.label !== undefined) path.set('object', latin1(Buffer.from(name.label, 'utf8')));
    if (name.id !== undefined) path.set('id', latin1(Buffer.from(name.id, 'hex')));
    const query = new Map<string, string>();
    if ('path' in config.module) query.set('module-path', config.module.path);
    else query.set('module-name', config.module.name);
    const shown = [...path].map(([k, v]) => `${k}=${k === 'id' ? name.id : Buffer.from(v, 'latin1').toString('utf8')}`).join(';');
    query.set('pin-value', this.pin());
    return { file: config.file, uri: { path, query, redacted: `pkcs11:${shown}` }, env: config.moduleEnv };
  }

  private pin(): string {
    const { pin, file } = this.config;
    if ('env' in pin) {
      const v = this.env[pin.env];
      if (v === undefined || v === '') throw new ImgsealError('PKCS11_PIN_INCORRECT', `${file}: the PIN variable ${pin.env} (pin-env) is not set`);
      return v;
    }
    let text: string;
    try {
      text = readFileSync(pin.file, 'utf8');
    } catch (err) {
      throw new ImgsealError('PKCS11_PIN_INCORRECT', `${file}: cannot read the PIN file ${pin.file}: ${(err as NodeJS.ErrnoException).code ?? 'error'}`);
    }
    const v = text.replace(/\r?\n$/, '');
    if (v === '') throw new ImgsealError('PKCS11_PIN_INCORRECT', `${file}: the PIN file ${pin.file} is empty`);
    return v;
  }
}

function describe(label: string, id: string): string {
  return [label ? `'${label}'` : '', id ? `(id ${id})` : ''].filter(Boolean).join(' ');
}
