/**
 * Building the SchemeConfig at the edge (CLI or library caller): the environment is
 * read here, once, and each scheme's loadConfig contributes its part (PKCS#11 module
 * policy, key providers, gpg). Schemes themselves only see the result.
 */
import { defaultSchemes, type SchemeRegistry } from './registry.js';
import type { SchemeConfig, SchemeContext, SchemeEnv } from './types.js';

export const DEFAULT_SCHEME_TIMEOUT_MS = 30_000;

export async function loadSchemeConfig(env: SchemeEnv, schemes: SchemeRegistry = defaultSchemes): Promise<SchemeConfig> {
  let config: SchemeConfig = { env: { ...env } };
  for (const s of schemes.all) {
    const part = await s.loadConfig?.(config.env);
    if (part) config = { ...config, ...part };
  }
  return config;
}

/** A context with an empty environment and no scheme settings: what library calls get by default. */
export function defaultSchemeContext(): SchemeContext {
  return { config: { env: {} } };
}
