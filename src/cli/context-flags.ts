/** Registry/transport flags shared by commands that read or write images (skopeo's names). */
import { InvalidArgumentError, Option, type Command } from 'commander';
import type { RegistryCredentials, SystemContext } from '../transports/context.js';
import { positiveInt } from './options.js';

export interface TransportFlags {
  srcCreds?: string;
  destCreds?: string;
  creds?: string;
  srcTlsVerify?: boolean;
  destTlsVerify?: boolean;
  tlsVerify?: boolean;
  srcCertDir?: string;
  destCertDir?: string;
  certDir?: string;
  authfile?: string;
  retryTimes?: number;
}

function bool(value: string): boolean {
  if (value === 'true') return true;
  if (value === 'false') return false;
  throw new InvalidArgumentError(`"${value}" is not true or false`);
}

export function parseCreds(value: string | undefined): RegistryCredentials | undefined {
  if (value === undefined) return undefined;
  const i = value.indexOf(':');
  if (i < 0) return { username: value, password: '' };
  return { username: value.slice(0, i), password: value.slice(i + 1) };
}

/**
 * Registry flags. A copy has two sides (`--src-*`, `--dest-*`, as skopeo copy); a
 * command reading one image takes skopeo inspect's plain names (`--creds`,
 * `--tls-verify`, `--cert-dir`) and also accepts the `--src-*` spellings.
 */
export function addTransportFlags(cmd: Command, roles: ('src' | 'dest')[] = ['src', 'dest']): Command {
  if (roles.length === 1 && roles[0] === 'src') {
    cmd
      .option('--creds <user[:password]>', 'credentials for the registry')
      .option('--tls-verify [bool]', 'require HTTPS and verify certificates (default true)', bool)
      .option('--cert-dir <dir>', 'CA (*.crt) and client certificates (*.cert, *.key) for the registry')
      .addOption(new Option('--src-creds <user[:password]>').hideHelp())
      .addOption(new Option('--src-tls-verify [bool]').argParser(bool).hideHelp())
      .addOption(new Option('--src-cert-dir <dir>').hideHelp());
  } else {
    for (const r of roles) {
      const who = r === 'src' ? 'source' : 'destination';
      cmd
        .option(`--${r}-creds <user[:password]>`, `credentials for the ${who} registry`)
        .option(`--${r}-tls-verify [bool]`, `require HTTPS and verify certificates for the ${who} registry (default true)`, bool)
        .option(`--${r}-cert-dir <dir>`, `CA (*.crt) and client certificates (*.cert, *.key) for the ${who} registry`);
    }
  }
  return cmd
    .option('--authfile <file>', 'auth.json with registry credentials (default: $REGISTRY_AUTH_FILE, then the usual places)')
    .option('--retry-times <n>', 'retries for failed registry requests (default 3)', positiveInt);
}

function context(creds: string | undefined, tlsVerify: boolean | undefined, certDir: string | undefined, flags: TransportFlags): SystemContext {
  const ctx: SystemContext = {};
  const c = parseCreds(creds ?? flags.creds);
  if (c) ctx.credentials = c;
  const tv = tlsVerify ?? flags.tlsVerify;
  if (tv !== undefined) ctx.tlsVerify = tv;
  const cd = certDir ?? flags.certDir;
  if (cd) ctx.certDir = cd;
  if (flags.authfile) ctx.authFile = flags.authfile;
  if (flags.retryTimes !== undefined) ctx.retryTimes = flags.retryTimes;
  return ctx;
}

export function sourceContext(f: TransportFlags): SystemContext {
  return context(f.srcCreds, f.srcTlsVerify, f.srcCertDir, f);
}

export function destinationContext(f: TransportFlags): SystemContext {
  return context(f.destCreds, f.destTlsVerify, f.destCertDir, f);
}
