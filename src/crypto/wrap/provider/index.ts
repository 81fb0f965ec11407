/**
 * The key-provider scheme (spec §5.5): one scheme object serves every
 * `provider.<name>` annotation, reaching the provider configured under `name`
 * in OCICRYPT_KEYPROVIDER_CONFIG over its command or gRPC transport.
 *
 * `provider:NAME[:PARAMS]` is a recipient (PARAMS, or `Enabled`, goes to the
 * provider as its parameter, as ocicrypt) and a `--decryption-key` (PARAMS sent
 * on unwrap). Like ocicrypt, every provider annotation present is tried with its
 * configured provider on decryption, given `provider:` keys or not. Unlike
 * ocicrypt, a provider only ever sees its own parameters, and every call has a
 * deadline (SchemeConfig.timeoutMs, default 30 s).
 */
import { ImgsealError } from '../../../errors.js';
import type { DecryptionKey, KeyScheme, Recipient, SchemeContext } from '../types.js';
import { notConfigured, providerConfig, providerUnwrap, providerWrap, type KeyProviderOptions } from './client.js';
import { isValidProviderName, KEYPROVIDER_CONFIG_ENV, loadKeyProviderConfig } from './config.js';

export const PROVIDER_PREFIX = 'provider';
/** DecryptionKey kind of a `provider:NAME[:PARAMS]` key. */
export const KEY_PROVIDER_KIND = 'key-provider';

export interface ProviderParams {
  name: string;
  params: Buffer;
}

const SCHEME_PREFIX = `${PROVIDER_PREFIX}.`;

function providerName(scheme: string): string {
  return scheme.slice(SCHEME_PREFIX.length);
}

/** `NAME[:PARAMS]` → name and parameter bytes (`Enabled` when absent, as ocicrypt). */
export function parseProviderSpec(value: string, code: 'INVALID_RECIPIENT' | 'INVALID_KEY'): ProviderParams {
  const i = value.indexOf(':');
  const name = i < 0 ? value : value.slice(0, i);
  if (!isValidProviderName(name)) {
    throw new ImgsealError(code, `Invalid key provider name "${name}" in provider:${value} (expected provider:NAME[:PARAMS], NAME of letters, digits, ".", "_", "-")`);
  }
  return { name, params: Buffer.from(i < 0 ? 'Enabled' : value.slice(i + 1), 'utf8') };
}

function options(ctx: SchemeContext): KeyProviderOptions {
  return {
    providers: ctx.config.keyProviders,
    source: ctx.config.env[KEYPROVIDER_CONFIG_ENV],
    timeoutMs: ctx.config.timeoutMs,
    env: { ...ctx.config.env },
    signal: ctx.signal,
  };
}

/** Seconds; sets SchemeConfig.timeoutMs (provider calls, gpg lookups). */
export const KEYPROVIDER_TIMEOUT_ENV = 'IMGSEAL_KEYPROVIDER_TIMEOUT';

function timeoutFromEnv(value: string | undefined): number | undefined {
  if (value === undefined || value === '') return undefined;
  const s = Number(value);
  if (!/^\d+(\.\d+)?$/.test(value) || !(s > 0) || s > 86_400) {
    throw new ImgsealError('INVALID_ARGUMENT', `${KEYPROVIDER_TIMEOUT_ENV}=${value}: expected a number of seconds (0 < s ≤ 86400)`);
  }
  return Math.round(s * 1000);
}

function paramsOf(keys: readonly DecryptionKey[], name: string): Buffer[] {
  return keys.filter((k) => k.kind === KEY_PROVIDER_KIND && (k.material as ProviderParams).name === name).map((k) => (k.material as ProviderParams).params);
}

export const providerScheme: KeyScheme = {
  prefix: PROVIDER_PREFIX,
  handles: (scheme) => scheme.startsWith(SCHEME_PREFIX) && isValidProviderName(providerName(scheme)),

  async parseRecipient(value, ctx): Promise<Recipient> {
    const p = parseProviderSpec(value, 'INVALID_RECIPIENT');
    const scheme = `${SCHEME_PREFIX}${p.name}`;
    if (ctx.purpose !== 'match' && !providerConfig(ctx.config.keyProviders, p.name)) {
      throw new ImgsealError('INVALID_RECIPIENT', notConfigured(p.name, ctx.config.env[KEYPROVIDER_CONFIG_ENV]));
    }
    return { scheme, source: `provider:${p.name}`, label: `[${scheme}]`, material: p };
  },

  async loadKeySpec(spec, ctx): Promise<DecryptionKey | undefined> {
    if (!spec.startsWith(`${PROVIDER_PREFIX}:`)) return undefined;
    const p = parseProviderSpec(spec.slice(PROVIDER_PREFIX.length + 1), 'INVALID_KEY');
    if (!providerConfig(ctx.config.keyProviders, p.name)) throw new ImgsealError('INVALID_KEY', notConfigured(p.name, ctx.config.env[KEYPROVIDER_CONFIG_ENV]));
    // The source names the provider only: PARAMS may be a secret.
    return { source: `provider:${p.name}`, kind: KEY_PROVIDER_KIND, material: p };
  },

  async loadConfig(env) {
    const keyProviders = await loadKeyProviderConfig(env);
    const timeoutMs = timeoutFromEnv(env[KEYPROVIDER_TIMEOUT_ENV]);
    return { ...(keyProviders ? { keyProviders } : {}), ...(timeoutMs ? { timeoutMs } : {}) };
  },

  wrap: (scheme, privateOptions, recipients, ctx) =>
    providerWrap(providerName(scheme), recipients.map((r) => (r.material as ProviderParams).params), privateOptions, options(ctx)),

  async unwrap(scheme, entry, keys) {
    const name = providerName(scheme);
    if (!providerConfig(keys.config.keyProviders, name)) {
      // Go ignores such annotations; saying why helps more than "missing key".
      throw new ImgsealError('KEY_PROVIDER_ERROR', notConfigured(name, keys.config.env[KEYPROVIDER_CONFIG_ENV]));
    }
    return providerUnwrap(name, paramsOf(keys.keys, name), entry, options(keys));
  },

  describe: async (scheme) => [`[${scheme}]`],

  // Entries are opaque: naming the provider removes its whole entry.
  removeRecipients: async (scheme, entry, targets) =>
    targets.some((t) => t.scheme === scheme) ? { entry: undefined, removed: [`[${scheme}]`], remaining: 0 } : { entry, removed: [], remaining: 1 },
};

export { parseKeyProviderConfig, loadKeyProviderConfig, KEYPROVIDER_CONFIG_ENV, type KeyProviders } from './config.js';
export { DEFAULT_KEYPROVIDER_TIMEOUT_MS } from './client.js';
export { keyProviderServiceDefinition, KEYPROVIDER_SERVICE } from './grpc.js';
