/**
 * Key-wrap schemes: the contract every scheme folder (`src/crypto/wrap/<scheme>/`)
 * implements. A scheme protects a layer's private options (the symmetric key, nonce
 * and plaintext digest, spec §3.6) for a set of recipients and stores the result in
 * annotation `org.opencontainers.image.enc.keys.<scheme>`, one entry per wrap
 * operation (comma-separated, spec §4).
 *
 * Adding a scheme = adding a folder that exports one `KeyScheme` and one line in the
 * list of `wrap/registry.ts`. Nothing outside the folder knows the scheme's formats:
 *
 * - **Names.** `prefix` is what users type before the first `:` in
 *   `--encryption-key` / `--recipient` (`jwe`, `pkcs7`, `pgp`, `pkcs11`, `provider`).
 *   `handles(name)` says which annotation scheme names it owns: `jwe` only `jwe`;
 *   the provider scheme every `provider.<name>`. Every method that touches an
 *   annotation gets that full `scheme` name (so one provider object serves all
 *   providers), and every Recipient it makes carries the full name too.
 * - **Recipients.** `parseRecipient(value, ctx)` turns the text after `prefix:` into a
 *   `Recipient` whose `material` only this scheme reads. All validation happens here
 *   (so errors come before any layer is touched) and fails with INVALID_RECIPIENT, one
 *   line naming the file/value and the fix. With `purpose: 'match'` (for
 *   `recipients remove`) a scheme may accept more, e.g. a private key file that
 *   identifies a recipient by decrypting its entry.
 * - **Key material.** `--decryption-key` files are read once (`KeyFile`) and offered
 *   to each scheme's `loadKeyFile` in registry order: return a `DecryptionKey` to
 *   claim the file, `undefined` when it is not yours, or throw (INVALID_KEY /
 *   KEY_PASSWORD) when it is yours but broken. Files nobody claims are tried as the
 *   shared formats of `crypto/keys` (private keys → kind `private-key`, X.509
 *   certificates → kind `certificates`, usable by every scheme that needs them), and
 *   otherwise rejected with a message saying what the file is. `loadKeySpec` claims
 *   specs that are not files (`provider:NAME`). `DecryptionKey.kind` names the
 *   material's format; a scheme's unwrap uses the kinds it understands and ignores
 *   the rest. Key material never appears in messages, logs or `describe` output.
 * - **Configuration and key lookup** arrive as values: a `SchemeContext` (with the
 *   `SchemeConfig`: environment, PKCS#11 module policy, key providers, gpg, timeouts)
 *   for parsing and wrapping; a `KeySource` (keys + config) for unwrapping. A scheme
 *   never reads `process.env`, files or global state on its own; what it needs from
 *   the environment comes through `SchemeConfig.env` or the typed fields, which
 *   `loadSchemeConfig` fills (it asks each scheme's `loadConfig`).
 * - **wrap(scheme, privateOptions, recipients, ctx)** wraps the bytes once for all
 *   given recipients of that scheme: one blob (spec §4). The bytes are passed through
 *   exactly (other tools compare them).
 * - **unwrap(scheme, entry, keys)** tries one base64-decoded annotation entry with
 *   the keys and returns the private-options bytes, `undefined` when no key fits.
 *   It throws INVALID_ENCRYPTION_METADATA when the entry itself is malformed; the
 *   caller records that and goes on to the next entry (as Go does). A scheme that
 *   needs no user key (key providers) may unwrap with `keys.config` alone.
 * - **describe(scheme, entry)** lists the entry's recipients for layerinfo, one string
 *   per recipient where they can be told apart (`jwe:<thumbprint>`, `0x<keyid>`, …),
 *   else `[<scheme>]`. Only printable tokens from the image (it comes from anyone).
 *   Never rejects. Asynchronous so that a scheme may load its parser on first use.
 * - **removeRecipients(scheme, entry, targets, ctx)** for `recipients remove`: drops the
 *   recipients of `entry` that belong to one of `targets` (Recipients parsed with
 *   purpose `match`) and returns the entry without them (`undefined` when none is
 *   left), with the labels of what was removed and how many recipients remain. The
 *   same private options stay wrapped for the rest; it never needs the layer key.
 *
 * Errors are ImgsealError with a stable code (src/errors.ts).
 */
/** Environment values a scheme may consult (a copy or view chosen by the caller). */
export type SchemeEnv = Readonly<Record<string, string | undefined>>;

/** The PKCS#11 module policy (ocicrypt's `pkcs11:` section of OCICRYPT_CONFIG). */
export interface Pkcs11Config {
  moduleDirectories: readonly string[];
  allowedModulePaths: readonly string[];
  /** OAEP hash for software and token wrapping (OCICRYPT_OAEP_HASHALG); default sha1, as ocicrypt's code (see wrap/pkcs11/oaep.ts). */
  oaepHash?: 'sha1' | 'sha256';
}

/** One entry of ocicrypt's key-provider config (spec §5.5). */
export interface KeyProviderConfig {
  cmd?: { path: string; args: readonly string[] };
  grpc?: string;
  grpcTls?: { rootCaFile?: string; certFile?: string; keyFile?: string; serverName?: string; insecureSkipVerify?: boolean };
}

export interface GpgConfig {
  /** The gpg program (default: gpg2, else gpg, found on PATH). */
  program?: string;
  /** GNUPGHOME for lookups; default GnuPG's own. */
  homedir?: string;
}

/** Everything schemes may be configured with; built at the edge (CLI, library caller). */
export interface SchemeConfig {
  readonly env: SchemeEnv;
  readonly pkcs11?: Pkcs11Config;
  /** Provider name → how to reach it. */
  readonly keyProviders?: Readonly<Record<string, KeyProviderConfig>>;
  readonly gpg?: GpgConfig;
  /** Limit for every call outside the process (key provider, gpg, token), in ms; default 30000. */
  readonly timeoutMs?: number;
}

/** What parsing and wrapping may use. */
export interface SchemeContext {
  readonly config: SchemeConfig;
  readonly signal?: AbortSignal;
}

/** The keys available for unwrapping, plus configuration. */
export interface KeySource extends SchemeContext {
  readonly keys: readonly DecryptionKey[];
}

/** A recipient given as `SCHEME:VALUE`, already parsed and checked by its scheme. */
export interface Recipient {
  /** Annotation scheme name: `jwe`, `pkcs7`, `pgp`, `pkcs11`, `provider.<name>`. */
  readonly scheme: string;
  /** What the user wrote, for messages. */
  readonly source: string;
  /** How describe() shows this recipient when it can be identified (`jwe:<thumbprint>`), else a short description. */
  readonly label: string;
  /** The scheme's own, opaque to everyone else. */
  readonly material: unknown;
}

/** Key material given with `--decryption-key`, already loaded. */
export interface DecryptionKey {
  /** Path (or description) it came from; never the key itself. */
  readonly source: string;
  /** Format of `material`: `private-key`, `certificates` (crypto/keys), or a scheme's own kind. */
  readonly kind: string;
  readonly material: unknown;
}

/** A `--decryption-key` file as read: content plus the password candidates given with it. */
export interface KeyFile {
  readonly path: string;
  readonly data: Buffer;
  /** In order; empty when no password was given. A password file's trailing newline is tried both ways. */
  readonly passwords: readonly Buffer[];
}

export type RecipientPurpose = 'encrypt' | 'match';

export interface RemovalResult {
  /** The entry without the removed recipients; undefined when none is left. */
  entry: Uint8Array | undefined;
  /** Labels (as describe() prints them) of the recipients removed. */
  removed: string[];
  /** Recipients left in `entry`. */
  remaining: number;
}

export interface KeyScheme {
  /** What users type before `:` (`jwe`, `pkcs7`, `pgp`, `pkcs11`, `provider`). */
  readonly prefix: string;
  /** Whether this scheme owns annotation scheme name `scheme` (`jwe`, `provider.foo`). */
  handles(scheme: string): boolean;
  parseRecipient(value: string, ctx: SchemeContext & { purpose?: RecipientPurpose }): Promise<Recipient>;
  /** Claims a `--decryption-key` file: a key, undefined (not this scheme's), or throws (this scheme's but unusable). */
  loadKeyFile?(file: KeyFile, ctx: SchemeContext): Promise<DecryptionKey | undefined>;
  /** Claims a `--decryption-key` spec that is not a file (e.g. `provider:NAME`). */
  loadKeySpec?(spec: string, ctx: SchemeContext): Promise<DecryptionKey | undefined>;
  /** This scheme's part of SchemeConfig, read from the environment / its files (at the edge only). */
  loadConfig?(env: SchemeEnv): Promise<Partial<Omit<SchemeConfig, 'env'>>>;
  wrap(scheme: string, privateOptions: Uint8Array, recipients: readonly Recipient[], ctx: SchemeContext): Promise<Uint8Array>;
  unwrap(scheme: string, entry: Uint8Array, keys: KeySource): Promise<Uint8Array | undefined>;
  describe(scheme: string, entry: Uint8Array): Promise<string[]>;
  removeRecipients(scheme: string, entry: Uint8Array, targets: readonly Recipient[], ctx: SchemeContext): Promise<RemovalResult>;
}
