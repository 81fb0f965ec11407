/**
 * The key-wrap schemes we have, as an explicit list (no registration by import side
 * effect). Adding a scheme = adding its folder and one line in SCHEMES.
 */
import { jweScheme } from './jwe/index.js';
import { pgpScheme } from './pgp/index.js';
import { pkcs11Scheme } from './pkcs11/index.js';
import { pkcs7Scheme } from './pkcs7/index.js';
import { providerScheme } from './provider/index.js';
import type { KeyScheme } from './types.js';

// pkcs11 claims its YAML key files before pgp looks at key files.
const SCHEMES: readonly KeyScheme[] = [jweScheme, pkcs7Scheme, pkcs11Scheme, pgpScheme, providerScheme];

/** Every recipient prefix ocicrypt knows; those we lack say "not supported yet" rather than "not recognized". */
export const OCICRYPT_PREFIXES: readonly string[] = ['jwe', 'pkcs7', 'pgp', 'pkcs11', 'provider'];

export class SchemeRegistry {
  constructor(readonly all: readonly KeyScheme[]) {}

  /** The scheme owning annotation scheme name `name` (`jwe`, `provider.foo`), or undefined. */
  forScheme(name: string): KeyScheme | undefined {
    return this.all.find((s) => s.handles(name));
  }

  /** The scheme users address as `prefix:` in a recipient or key spec, or undefined. */
  forPrefix(prefix: string): KeyScheme | undefined {
    return this.all.find((s) => s.prefix === prefix);
  }
}

export const defaultSchemes = new SchemeRegistry(SCHEMES);

/** The default registry's scheme for an annotation scheme name. */
export function forScheme(name: string): KeyScheme | undefined {
  return defaultSchemes.forScheme(name);
}
