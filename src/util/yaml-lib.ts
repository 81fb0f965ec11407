/**
 * The YAML parser on first use, synchronously (its CommonJS build): only runs that
 * read a YAML file (PKCS#11 key files and policy, registries.d) pay its load time
 * and memory.
 */
import { createRequire } from 'node:module';
import type * as Yaml from 'yaml';

let yaml: typeof Yaml | undefined;

export function yamlLib(): typeof Yaml {
  yaml ??= createRequire(import.meta.url)('yaml') as typeof Yaml;
  return yaml;
}
