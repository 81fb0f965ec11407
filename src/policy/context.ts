/**
 * The policy as the pipeline uses it (copy/options.ts SourcePolicy): where policy.json
 * is found, what applies when there is none, reading keys, and rejections as one line
 * in containers/image's words (`Source image rejected: …`).
 */
import { readFile } from 'node:fs/promises';
import { homedir } from 'node:os';
import { join } from 'node:path';
import { ImgsealError } from '../errors.js';
import type { SourcePolicy, UntrustedSourceImage } from '../copy/options.js';
import { evaluatePolicy, type Verdict } from './evaluate.js';
import { parsePolicy } from './parse.js';
import type { KeySource, Policy } from './types.js';

export const SYSTEM_POLICY = '/etc/containers/policy.json';

export interface PolicyLoadOptions {
  /** `--policy FILE`. */
  policyPath?: string;
  /** `--insecure-policy`: accept anything, no file read. */
  insecure?: boolean;
  env?: Record<string, string | undefined>;
  /** Root for /etc (tests). */
  systemRoot?: string;
  warn?: (message: string) => void;
}

/** An accept-anything policy (for --insecure-policy and the no-file default). */
export function acceptAnythingPolicy(source: string): Policy {
  return { source, default: [{ type: 'insecureAcceptAnything' }], transports: {} };
}

async function readIfExists(path: string): Promise<string | undefined> {
  try {
    return await readFile(path, 'utf8');
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code === 'ENOENT') return undefined;
    throw new ImgsealError('POLICY_INVALID', `reading policy ${path}: ${(err as NodeJS.ErrnoException).code ?? (err as Error).message}`);
  }
}

/**
 * `--policy FILE` (must exist), else $HOME/.config/containers/policy.json, else
 * /etc/containers/policy.json. With none of them (a machine without containers-common)
 * imgseal accepts any image, as the file containers-common installs does, and warns:
 * skopeo refuses to run there, which would stop a first demo for no security gain.
 */
export async function loadPolicy(o: PolicyLoadOptions = {}): Promise<Policy> {
  if (o.insecure) return acceptAnythingPolicy('--insecure-policy');
  if (o.policyPath) {
    const text = await readIfExists(o.policyPath);
    if (text === undefined) throw new ImgsealError('POLICY_INVALID', `policy file ${o.policyPath} does not exist`);
    return parsePolicy(text, o.policyPath);
  }
  const env = o.env ?? process.env;
  const user = join(env.HOME || homedir(), '.config', 'containers', 'policy.json');
  const system = join(o.systemRoot ?? '/', SYSTEM_POLICY);
  for (const path of [user, system]) {
    const text = await readIfExists(path);
    if (text !== undefined) return parsePolicy(text, path);
  }
  o.warn?.(`no policy.json (${user}, ${system}): accepting any image without checking signatures; write a policy or pass --policy`);
  return acceptAnythingPolicy('built-in default (no policy.json)');
}

/** Reads the key material a requirement names: files at evaluation time, keyData decoded. */
export async function readPolicyKeys(keys: KeySource): Promise<Buffer[]> {
  if ('keyData' in keys) return [Buffer.from(keys.keyData, 'base64')];
  const paths = 'keyPath' in keys ? [keys.keyPath] : keys.keyPaths;
  return Promise.all(
    paths.map(async (p) => {
      try {
        return await readFile(p);
      } catch (err) {
        throw new ImgsealError('POLICY_REJECTED', `Source image rejected: reading key file ${p}: ${(err as NodeJS.ErrnoException).code ?? (err as Error).message}`);
      }
    }),
  );
}

export class PolicyContext implements SourcePolicy {
  constructor(
    readonly policy: Policy,
    private readonly o: { now?: () => number; readKeys?: (keys: KeySource) => Promise<Buffer[]> } = {},
  ) {}

  evaluate(image: UntrustedSourceImage): Promise<Verdict> {
    return evaluatePolicy(this.policy, image, { readKeys: this.o.readKeys ?? readPolicyKeys, now: new Date(this.o.now ? this.o.now() : Date.now()) });
  }

  async requireAccepted(image: UntrustedSourceImage): Promise<void> {
    const v = await this.evaluate(image);
    if (!v.accepted) throw new ImgsealError('POLICY_REJECTED', `Source image rejected: ${v.reason ?? 'rejected by policy'}`);
  }
}
