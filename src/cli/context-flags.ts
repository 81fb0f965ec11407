/** Registry/transport flags shared by commands that read or write images (skopeo's names). */
import { InvalidArgumentError, Option, type Command } from 'commander';
import { ImgsealError } from '../errors.js';
import type { RegistryCredentials, SystemContext } from '../transports/context.js';
import { nonNegativeInt, positiveSeconds } from './options.js';
import { registerCredentials, registerSecret } from '../util/redact.js';

export interface TransportFlags {
  srcCreds?: string;
  destCreds?: string;
  /** false after `--no-creds` (commander's negation of `--creds`: the later one wins). */
  creds?: string | false;
  srcNoCreds?: boolean;
  destNoCreds?: boolean;
  srcRegistryToken?: string;
  destRegistryToken?: string;
  registryToken?: string;
  srcTlsVerify?: boolean;
  destTlsVerify?: boolean;
  tlsVerify?: boolean;
  srcCertDir?: string;
  destCertDir?: string;
  certDir?: string;
  authfile?: string;
  srcAuthfile?: string;
  destAuthfile?: string;
  retryTimes?: number;
  registryTimeout?: number;
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
  const creds = { username: value.slice(0, i), password: value.slice(i + 1) };
  registerCredentials(creds.username, creds.password);
  return creds;
}

/**
 * Registry flags. A copy has two sides (`--src-*`, `--dest-*`, as skopeo copy); a
 * command reading one image takes skopeo inspect's plain names (`--creds`,
 * `--no-creds`, `--registry-token`, `--tls-verify`, `--cert-dir`) and also accepts the
 * `--src-*` spellings.
 */
export function addTransportFlags(cmd: Command, roles: ('src' | 'dest')[] = ['src', 'dest']): Command {
  if (roles.length === 1 && roles[0] === 'src') {
    cmd
      .option('--creds <user[:password]>', 'credentials for the registry')
      .option('--no-creds', 'access the registry anonymously (no auth file is read)')
      .option('--registry-token <token>', 'bearer token to send as is when the registry asks for one')
      .option('--tls-verify [bool]', 'require HTTPS and verify certificates (default true)', bool)
      .option('--cert-dir <dir>', 'CA (*.crt) and client certificates (*.cert, *.key) for the registry')
      .addOption(new Option('--src-creds <user[:password]>').hideHelp())
      .addOption(new Option('--src-no-creds').hideHelp())
      .addOption(new Option('--src-registry-token <token>').hideHelp())
      .addOption(new Option('--src-tls-verify [bool]').argParser(bool).hideHelp())
      .addOption(new Option('--src-cert-dir <dir>').hideHelp());
  } else {
    for (const r of roles) {
      const who = r === 'src' ? 'source' : 'destination';
      cmd
        .option(`--${r}-creds <user[:password]>`, `credentials for the ${who} registry`)
        .option(`--${r}-no-creds`, `access the ${who} registry anonymously (no auth file is read)`)
        .option(`--${r}-registry-token <token>`, `bearer token to send as is when the ${who} registry asks for one`)
        .option(`--${r}-tls-verify [bool]`, `require HTTPS and verify certificates for the ${who} registry (default true)`, bool)
        .option(`--${r}-cert-dir <dir>`, `CA (*.crt) and client certificates (*.cert, *.key) for the ${who} registry`)
        .option(`--${r}-authfile <file>`, `auth.json for the ${who} registry (instead of --authfile)`);
    }
  }
  return cmd
    .option('--authfile <file>', 'auth.json with registry credentials (default: $REGISTRY_AUTH_FILE, then the usual places)')
    .option('--retry-times <n>', 'retries for failed registry requests (default 3; 0 = no retry)', nonNegativeInt)
    .option('--registry-timeout <seconds>', 'give up on a registry that does not connect or answer within this time (default 30)', positiveSeconds);
}

interface Side {
  creds: string | undefined;
  noCreds: boolean | undefined;
  registryToken: string | undefined;
  authfile: string | undefined;
  tlsVerify: boolean | undefined;
  certDir: string | undefined;
}

function context(side: Side, flags: TransportFlags, prefix: string): SystemContext {
  const ctx: SystemContext = {};
  const creds = side.creds ?? (flags.creds === false ? undefined : flags.creds);
  const noCreds = side.noCreds ?? flags.creds === false;
  if (creds !== undefined && noCreds) {
    throw new ImgsealError('INVALID_ARGUMENT', `${prefix}creds and ${prefix}no-creds cannot be used together`);
  }
  const c = parseCreds(creds);
  if (c) ctx.credentials = c;
  if (noCreds) ctx.noCredentials = true;
  const token = side.registryToken ?? flags.registryToken;
  registerSecret(token);
  if (token !== undefined) {
    if (token === '') throw new ImgsealError('INVALID_ARGUMENT', `${prefix}registry-token is empty`);
    ctx.registryToken = token;
  }
  const tv = side.tlsVerify ?? flags.tlsVerify;
  if (tv !== undefined) ctx.tlsVerify = tv;
  const cd = side.certDir ?? flags.certDir;
  if (cd) ctx.certDir = cd;
  const authfile = side.authfile ?? flags.authfile;
  if (authfile) ctx.authFile = authfile;
  if (flags.retryTimes !== undefined) ctx.retryTimes = flags.retryTimes;
  if (flags.registryTimeout !== undefined) ctx.timeoutMs = Math.round(flags.registryTimeout * 1000);
  return ctx;
}

export function sourceContext(f: TransportFlags): SystemContext {
  const plainNames = f.creds !== undefined || f.registryToken !== undefined;
  return context(
    { creds: f.srcCreds, noCreds: f.srcNoCreds, registryToken: f.srcRegistryToken, authfile: f.srcAuthfile, tlsVerify: f.srcTlsVerify, certDir: f.srcCertDir },
    f,
    plainNames ? '--' : '--src-',
  );
}

export function destinationContext(f: TransportFlags): SystemContext {
  return context(
    { creds: f.destCreds, noCreds: f.destNoCreds, registryToken: f.destRegistryToken, authfile: f.destAuthfile, tlsVerify: f.destTlsVerify, certDir: f.destCertDir },
    f,
    '--dest-',
  );
}
