/**
 * registries.d (spec §2.2): where the docker transport keeps simple signatures.
 * Every `*.yaml` in the folder is parsed strictly (unknown fields, duplicate keys and
 * wrong types name the field and the file) and merged; `default-docker` or one
 * `docker:` scope defined in two files is an error. For an image, each value
 * (lookaside URL, staging URL, use-sigstore-attachments) comes from the most specific
 * scope that sets it, then `default-docker`, then the built-in default.
 */
import { readdir, readFile } from 'node:fs/promises';
import { homedir } from 'node:os';
import { join } from 'node:path';
import { ImgsealError } from '../errors.js';
import { candidateScopes } from '../policy/scope.js';
import { yamlLib } from '../util/yaml-lib.js';

export const SYSTEM_REGISTRIES_D = '/etc/containers/registries.d';

interface Section {
  lookaside?: string;
  lookasideStaging?: string;
  useSigstoreAttachments?: boolean;
}

export interface RegistriesConfig {
  defaultDocker?: Section;
  docker: Map<string, Section>;
}

export interface SignatureStorage {
  /** Base URL signatures are read from. */
  readUrl: string;
  /** Base URL signatures are written to. */
  writeUrl: string;
  useSigstoreAttachments: boolean;
}

function fail(file: string, why: string): never {
  throw new ImgsealError('REGISTRIES_D_INVALID', `registries.d file ${file}: ${why}`);
}

function section(file: string, v: unknown, where: string): Section {
  if (v === null || v === undefined) return {};
  if (typeof v !== 'object' || Array.isArray(v)) fail(file, `${where} must be a mapping`);
  const o = v as Record<string, unknown>;
  const out: Section = {};
  const url = (k: string): string | undefined => {
    const x = o[k];
    if (x === undefined || x === null || x === '') return undefined;
    if (typeof x !== 'string') fail(file, `${where}.${k} must be a string`);
    try {
      new URL(x);
    } catch {
      fail(file, `${where}.${k} is not a URL: "${x}"`);
    }
    return x;
  };
  for (const k of Object.keys(o)) {
    if (!['lookaside', 'lookaside-staging', 'sigstore', 'sigstore-staging', 'use-sigstore-attachments'].includes(k)) fail(file, `unknown field "${k}" in ${where}`);
  }
  const lookaside = url('lookaside') ?? url('sigstore');
  const staging = url('lookaside-staging') ?? url('sigstore-staging');
  if (lookaside) out.lookaside = lookaside;
  if (staging) out.lookasideStaging = staging;
  const att = o['use-sigstore-attachments'];
  if (att !== undefined && att !== null) {
    if (typeof att !== 'boolean') fail(file, `${where}.use-sigstore-attachments must be true or false`);
    out.useSigstoreAttachments = att;
  }
  return out;
}

/** Parses one file's text into `into`. */
export function parseRegistriesFile(text: string, file: string, into: RegistriesConfig): void {
  const doc = yamlLib().parseDocument(text, { uniqueKeys: true, prettyErrors: false });
  if (doc.errors.length > 0) fail(file, (doc.errors[0] as Error).message.split('\n')[0] ?? 'invalid YAML');
  const v = doc.toJS() as unknown;
  if (v === null || v === undefined) return;
  if (typeof v !== 'object' || Array.isArray(v)) fail(file, 'the top level must be a mapping');
  const o = v as Record<string, unknown>;
  for (const k of Object.keys(o)) if (k !== 'default-docker' && k !== 'docker') fail(file, `unknown field "${k}" at the top level`);
  if (o['default-docker'] !== undefined) {
    if (into.defaultDocker) fail(file, '"default-docker" is defined in more than one file');
    into.defaultDocker = section(file, o['default-docker'], 'default-docker');
  }
  if (o.docker !== undefined && o.docker !== null) {
    if (typeof o.docker !== 'object' || Array.isArray(o.docker)) fail(file, '"docker" must be a mapping');
    for (const [scope, s] of Object.entries(o.docker as Record<string, unknown>)) {
      if (into.docker.has(scope)) fail(file, `docker scope "${scope}" is defined in more than one file`);
      into.docker.set(scope, section(file, s, `docker["${scope}"]`));
    }
  }
}

/**
 * Reads a registries.d folder: `dir` when given (it must exist), else
 * $HOME/.config/containers/registries.d if it exists, else /etc/containers/registries.d.
 */
export async function loadRegistriesDir(o: { dir?: string; env?: Record<string, string | undefined>; systemRoot?: string } = {}): Promise<RegistriesConfig> {
  const cfg: RegistriesConfig = { docker: new Map() };
  const home = (o.env ?? process.env).HOME || homedir();
  const candidates = o.dir ? [o.dir] : [join(home, '.config', 'containers', 'registries.d'), join(o.systemRoot ?? '/', SYSTEM_REGISTRIES_D)];
  for (const dir of candidates) {
    let names: string[];
    try {
      names = (await readdir(dir)).filter((n) => n.endsWith('.yaml')).sort();
    } catch (err) {
      if ((err as NodeJS.ErrnoException).code === 'ENOENT' && !o.dir) continue;
      throw new ImgsealError('REGISTRIES_D_INVALID', `reading registries.d folder ${dir}: ${(err as NodeJS.ErrnoException).code ?? (err as Error).message}`);
    }
    for (const n of names) parseRegistriesFile(await readFile(join(dir, n), 'utf8'), join(dir, n), cfg);
    return cfg;
  }
  return cfg;
}

/** The built-in lookaside: /var/lib/containers/sigstore for root, else ~/.local/share/containers/sigstore. */
export function defaultLookaside(env: Record<string, string | undefined> = process.env): string {
  const root = typeof process.getuid === 'function' && process.getuid() === 0;
  return root ? 'file:///var/lib/containers/sigstore' : `file://${join(env.HOME || homedir(), '.local', 'share', 'containers', 'sigstore')}`;
}

/** Where signatures of the image `dockerReference` (fully expanded) live. */
export function signatureStorageFor(cfg: RegistriesConfig, dockerReference: string, env?: Record<string, string | undefined>): SignatureStorage {
  const sections = [...candidateScopes('docker', dockerReference).map((s) => cfg.docker.get(s)), cfg.defaultDocker].filter((s): s is Section => !!s);
  const first = <K extends keyof Section>(k: K): Section[K] => sections.find((s) => s[k] !== undefined)?.[k];
  const readUrl = first('lookaside') ?? defaultLookaside(env);
  return { readUrl, writeUrl: first('lookasideStaging') ?? readUrl, useSigstoreAttachments: first('useSigstoreAttachments') ?? false };
}
