/**
 * Talking to a PKCS#11 token through pkcs11js, as ocicrypt does
 * (crypto/pkcs11/pkcs11helpers.go): load the module the policy allows, pick the
 * slot (slot-id, else the token whose label is `token=`), open a session, log in
 * with the URI's PIN, find the key object by class + label (`object=`) + id.
 *
 * Each use is one synchronous run from C_Initialize to C_Finalize, with the key
 * file's `module.env` set only for that run: no other code runs in between, so
 * the environment change is seen by the module and by nothing else. The private
 * key never leaves the token (C_Decrypt runs on it). The PIN is passed to
 * C_Login only and appears in no message.
 */
import { createPublicKey, type KeyObject } from 'node:crypto';
import { createRequire } from 'node:module';
import type * as Pkcs11Js from 'pkcs11js';
import { ImgsealError } from '../../../errors.js';
import { resolveModule, type Pkcs11Policy } from './config.js';
import type { Pkcs11KeyFile } from './key-file.js';
import { uriPin } from './uri.js';
import type { OaepHash } from './oaep.js';

type Lib = typeof Pkcs11Js;

let lib: Lib | undefined;
/** pkcs11js is a native addon: loaded on first use, so nothing else pays for it. */
function pkcs11js(): Lib {
  if (!lib) {
    try {
      lib = createRequire(import.meta.url)('pkcs11js') as Lib;
    } catch (err) {
      throw new ImgsealError('PKCS11_ERROR', `pkcs11: the pkcs11js native module could not be loaded: ${(err as Error).message}`, { cause: err });
    }
  }
  return lib;
}

export interface TokenSession {
  p11: Pkcs11Js.PKCS11;
  session: Buffer;
  lib: Lib;
  keyFile: Pkcs11KeyFile;
}

export function nativeCode(err: unknown): number | undefined {
  const c = (err as { code?: unknown }).code;
  return typeof c === 'number' ? c : undefined;
}

function tokenError(keyFile: Pkcs11KeyFile, what: string, err: unknown): ImgsealError {
  if (err instanceof ImgsealError) return err;
  const name = (err as Error).message || 'error';
  return new ImgsealError('PKCS11_ERROR', `pkcs11: ${what} failed: ${name} (${keyFile.file})`, { cause: err });
}

function withEnv<T>(env: Readonly<Record<string, string>>, fn: () => T): T {
  const saved = Object.keys(env).map((k) => [k, process.env[k]] as const);
  Object.assign(process.env, env);
  try {
    return fn();
  } finally {
    for (const [k, v] of saved) {
      if (v === undefined) delete process.env[k];
      else process.env[k] = v;
    }
  }
}

const latin1 = (s: string): Buffer => Buffer.from(s, 'latin1');

function findSlot(s: Omit<TokenSession, 'session'>): Buffer {
  const { p11, keyFile } = s;
  const slotId = keyFile.uri.path.get('slot-id');
  const slots = p11.C_GetSlotList(true);
  if (slotId !== undefined) {
    const slot = slots.find((h) => h.readUIntLE(0, Math.min(h.length, 6)) === Number(slotId));
    if (!slot) throw new ImgsealError('PKCS11_ERROR', `pkcs11: no token in slot ${slotId} (${keyFile.file})`);
    return slot;
  }
  // Labels are UTF-8 on the token and percent-encoded bytes in the URI.
  const label = latin1(keyFile.uri.path.get('token') ?? '').toString('utf8');
  for (const slot of slots) {
    if (p11.C_GetTokenInfo(slot).label.trimEnd() === label) return slot;
  }
  throw new ImgsealError('PKCS11_ERROR', `pkcs11: no token labelled '${label}' (${slots.length} token${slots.length === 1 ? '' : 's'} present; ${keyFile.file})`);
}

/** Runs `fn` in a logged-in session of the key file's token; everything is closed afterwards. */
export function withTokenSession<T>(keyFile: Pkcs11KeyFile, policy: Pkcs11Policy, privateOperation: boolean, fn: (s: TokenSession) => T): T {
  const modulePath = resolveModule(keyFile.uri, policy);
  const pin = uriPin(keyFile.uri);
  if (privateOperation && pin === undefined) {
    throw new ImgsealError('PKCS11_PIN_INCORRECT', `pkcs11: ${keyFile.file}: missing PIN for private key operation (add pin-value= or pin-source= to the URI)`);
  }
  const L = pkcs11js();
  return withEnv(keyFile.env, () => {
    const p11 = new L.PKCS11();
    try {
      p11.load(modulePath);
    } catch (err) {
      throw tokenError(keyFile, `loading module ${modulePath}`, err);
    }
    try {
      try {
        p11.C_Initialize();
      } catch (err) {
        if (nativeCode(err) !== L.CKR_CRYPTOKI_ALREADY_INITIALIZED) throw tokenError(keyFile, 'C_Initialize', err);
      }
      try {
        const slot = findSlot({ p11, lib: L, keyFile });
        const session = p11.C_OpenSession(slot, L.CKF_SERIAL_SESSION | L.CKF_RW_SESSION);
        try {
          if (pin !== undefined && pin !== '') {
            try {
              p11.C_Login(session, L.CKU_USER, pin);
            } catch (err) {
              const code = nativeCode(err);
              if (code === L.CKR_PIN_INCORRECT || code === L.CKR_PIN_LEN_RANGE || code === L.CKR_PIN_LOCKED) {
                const token = keyFile.uri.path.get('token') ?? `slot ${keyFile.uri.path.get('slot-id')}`;
                throw new ImgsealError('PKCS11_PIN_INCORRECT', `pkcs11: the token ${token} refused the PIN (${(err as Error).message}; ${keyFile.file})`);
              }
              if (code !== L.CKR_USER_ALREADY_LOGGED_IN) throw tokenError(keyFile, 'C_Login', err);
            }
          }
          return fn({ p11, session, lib: L, keyFile });
        } finally {
          try {
            p11.C_CloseSession(session);
          } catch {
            // closing is best effort; C_Finalize ends everything anyway
          }
        }
      } catch (err) {
        throw tokenError(keyFile, 'the token session', err);
      } finally {
        try {
          p11.C_Finalize();
        } catch {
          // as above
        }
      }
    } finally {
      p11.close();
    }
  });
}

/** The key object of `cls` named by the URI's object= (label) and id=; exactly one must match. */
export function findKey(s: TokenSession, cls: 'public' | 'private' | 'secret'): Buffer {
  const { p11, session, lib: L, keyFile } = s;
  const label = keyFile.uri.path.get('object');
  const id = keyFile.uri.path.get('id');
  const klass = cls === 'public' ? L.CKO_PUBLIC_KEY : cls === 'private' ? L.CKO_PRIVATE_KEY : L.CKO_SECRET_KEY;
  const template: Pkcs11Js.Template = [{ type: L.CKA_CLASS, value: klass }];
  if (label !== undefined && label !== '') template.push({ type: L.CKA_LABEL, value: latin1(label) });
  if (id !== undefined && id !== '') template.push({ type: L.CKA_ID, value: latin1(id) });
  p11.C_FindObjectsInit(session, template);
  let found: Buffer[];
  try {
    found = p11.C_FindObjects(session, 2);
  } finally {
    p11.C_FindObjectsFinal(session);
  }
  const what = [label !== undefined ? `label '${latin1(label).toString('utf8')}'` : '', id !== undefined ? `id ${encodeURIComponent(id)}` : ''].filter(Boolean).join(' and ');
  if (found.length > 1) throw new ImgsealError('PKCS11_ERROR', `pkcs11: more than one ${cls} key with ${what} (${keyFile.file})`);
  const key = found[0];
  if (!key) throw new ImgsealError('PKCS11_ERROR', `pkcs11: no ${cls} key with ${what} on the token (${keyFile.file})`);
  return key;
}

function oaepMechanism(L: Lib, hash: OaepHash): Pkcs11Js.Mechanism {
  const sha256 = hash === 'sha256';
  const params: Pkcs11Js.RsaOAEP = {
    type: L.CK_PARAMS_RSA_OAEP,
    hashAlg: sha256 ? L.CKM_SHA256 : L.CKM_SHA_1,
    mgf: sha256 ? L.CKG_MGF1_SHA256 : L.CKG_MGF1_SHA1,
    source: 1, // CKZ_DATA_SPECIFIED, with an empty label (ocicrypt's OAEPLabel)
  };
  return { mechanism: L.CKM_RSA_PKCS_OAEP, parameter: params };
}

/**
 * RSA-OAEP decryption on the token. Returns undefined when the ciphertext does
 * not decrypt with this key (the normal "not ours" case); a refused mechanism throws.
 */
export function tokenDecryptOaep(s: TokenSession, key: Buffer, ciphertext: Uint8Array, hash: OaepHash): Buffer | undefined {
  const { p11, session, lib: L } = s;
  try {
    p11.C_DecryptInit(session, oaepMechanism(L, hash), key);
  } catch (err) {
    const code = nativeCode(err);
    if (code === L.CKR_MECHANISM_INVALID || code === L.CKR_MECHANISM_PARAM_INVALID) {
      throw new ImgsealError('PKCS11_ERROR', `pkcs11: the token does not do RSA-OAEP with ${hash.toUpperCase()} (${s.keyFile.file})`, { cause: err });
    }
    throw err;
  }
  try {
    return p11.C_Decrypt(session, Buffer.from(ciphertext), Buffer.alloc(Math.max(ciphertext.length, 512)));
  } catch {
    // Tokens report a ciphertext for another key differently (CKR_ENCRYPTED_DATA_INVALID,
    // …_LEN_RANGE, SoftHSM: CKR_GENERAL_ERROR); after a successful C_DecryptInit every
    // failure means "this key does not open it", and the next key is tried.
    return undefined;
  }
}

/** The RSA public key of a key object (public or private: both carry modulus and exponent). */
export function tokenPublicKey(s: TokenSession, key: Buffer): KeyObject {
  const { p11, session, lib: L } = s;
  const attrs = p11.C_GetAttributeValue(session, key, [{ type: L.CKA_KEY_TYPE }, { type: L.CKA_MODULUS }, { type: L.CKA_PUBLIC_EXPONENT }]);
  const [type, n, e] = attrs.map((a) => a.value);
  if (!(type instanceof Buffer) || type.readUIntLE(0, Math.min(type.length, 6)) !== L.CKK_RSA) {
    throw new ImgsealError('INVALID_RECIPIENT', `pkcs11: ${s.keyFile.file}: only RSA keys can be pkcs11 recipients`);
  }
  if (!(n instanceof Buffer) || !(e instanceof Buffer)) throw new ImgsealError('PKCS11_ERROR', `pkcs11: the token did not give the key's modulus and exponent (${s.keyFile.file})`);
  return createPublicKey({ key: { kty: 'RSA', n: n.toString('base64url'), e: e.toString('base64url') }, format: 'jwk' });
}
