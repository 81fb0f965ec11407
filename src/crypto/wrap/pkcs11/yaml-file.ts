/**
 * Strict reading of the small YAML files ocicrypt's PKCS#11 support uses: a
 * duplicate key, an unknown field or a value of the wrong type is an error that
 * names the field and the file (Go's yaml.Unmarshal ignores unknown fields, so a
 * typo like `allowed-module-path` silently meant "no policy" there).
 */
import { ImgsealError, type ErrorCode } from '../../../errors.js';
import { yamlLib } from '../../../util/yaml-lib.js';

export type YamlMap = Record<string, unknown>;

export class YamlFile {
  constructor(
    readonly file: string,
    readonly code: ErrorCode,
  ) {}

  fail(message: string): never {
    throw new ImgsealError(this.code, `${this.file}: ${message}`);
  }

  parse(text: string): YamlMap {
    const doc = yamlLib().parseDocument(text, { uniqueKeys: true, prettyErrors: false });
    const first = doc.errors[0];
    if (first) this.fail(`not valid YAML: ${first.message.split('\n')[0]}`);
    const value: unknown = doc.toJS();
    return this.map(value, 'the document');
  }

  map(value: unknown, field: string): YamlMap {
    if (typeof value !== 'object' || value === null || Array.isArray(value)) this.fail(`${field} must be a map`);
    return value as YamlMap;
  }

  /** Fails on any key of `m` not in `allowed`; `where` prefixes the field names (`pkcs11.`). */
  only(m: YamlMap, allowed: readonly string[], where: string): void {
    for (const k of Object.keys(m)) {
      if (!allowed.includes(k)) this.fail(`unknown field ${where}${k} (allowed: ${allowed.map((a) => where + a).join(', ')})`);
    }
  }

  string(value: unknown, field: string): string {
    if (typeof value !== 'string') this.fail(`${field} must be a string`);
    return value;
  }

  strings(value: unknown, field: string): string[] {
    if (value === null || value === undefined) return [];
    if (!Array.isArray(value) || value.some((v) => typeof v !== 'string')) this.fail(`${field} must be a list of strings`);
    return value as string[];
  }
}
