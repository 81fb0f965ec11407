/**
 * ocicrypt's PKCS#11 key file (crypto/pkcs11/common.go), used both as a
 * recipient (`--encryption-key pkcs11:pub.yaml`) and as a decryption key:
 *
 *   pkcs11:
 *     uri: "pkcs11:token=…;object=…;id=%01;type=private?module-path=…&pin-value=…"
 *   module:
 *     env:
 *       SOFTHSM2_CONF: /path/softhsm2.conf
 *
 * `module.env` is set in the environment while the module is loaded and used.
 */
import { ImgsealError } from '../../../errors.js';
import { parsePkcs11Uri, type Pkcs11Uri } from './uri.js';
import { YamlFile } from './yaml-file.js';

export interface Pkcs11KeyFile {
  /** The file it came from, for messages. */
  file: string;
  uri: Pkcs11Uri;
  env: Readonly<Record<string, string>>;
}

/** True when `data` is meant as a PKCS#11 key file (a top-level `pkcs11:` map with a `uri`). */
export function isPkcs11KeyFileText(data: string): boolean {
  return /^pkcs11:\s*(#.*)?$/m.test(data) && /^\s+uri:\s*["']?pkcs11:/m.test(data);
}

export function parsePkcs11KeyFile(text: string, file: string, code: 'INVALID_KEY' | 'INVALID_RECIPIENT' = 'INVALID_KEY'): Pkcs11KeyFile {
  const y = new YamlFile(file, code);
  const doc = y.parse(text);
  y.only(doc, ['pkcs11', 'module'], '');
  if (doc.pkcs11 === undefined) y.fail('missing field pkcs11');
  const p11 = y.map(doc.pkcs11, 'pkcs11');
  y.only(p11, ['uri'], 'pkcs11.');
  const uriText = y.string(p11.uri, 'pkcs11.uri');
  const env: Record<string, string> = {};
  if (doc.module !== undefined && doc.module !== null) {
    const module = y.map(doc.module, 'module');
    y.only(module, ['env'], 'module.');
    if (module.env !== undefined && module.env !== null) {
      for (const [k, v] of Object.entries(y.map(module.env, 'module.env'))) {
        if (!/^[A-Za-z_][A-Za-z0-9_]*$/.test(k)) y.fail(`module.env: ${JSON.stringify(k)} is not an environment variable name`);
        if (typeof v !== 'string' && typeof v !== 'number' && typeof v !== 'boolean') y.fail(`module.env.${k} must be a string`);
        env[k] = String(v);
      }
    }
  }
  let uri: Pkcs11Uri;
  try {
    uri = parsePkcs11Uri(uriText);
  } catch (err) {
    throw new ImgsealError(code, `${file}: ${(err as Error).message}`, { cause: err });
  }
  return { file, uri, env };
}
