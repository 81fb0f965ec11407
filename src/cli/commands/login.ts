/**
 * `imgseal login REGISTRY` / `imgseal logout REGISTRY|--all`, as skopeo and podman:
 * credentials are checked against the registry, then saved in auth.json (mode 0600).
 * The password comes from --password-stdin (or -p); it is never printed. The HTTP
 * client is loaded only when one of these commands runs.
 */
import { readSecretFromStdin } from '../stdin.js';
import type { Command } from 'commander';
import { ImgsealError } from '../../errors.js';
import type { SystemContext } from '../../transports/context.js';

interface LoginFlags {
  username?: string;
  password?: string;
  passwordStdin?: boolean;
  authfile?: string;
  certDir?: string;
  tlsVerify?: boolean;
}

function ctxOf(flags: { authfile?: string; certDir?: string; tlsVerify?: boolean }): SystemContext {
  const ctx: SystemContext = {};
  if (flags.authfile) ctx.authFile = flags.authfile;
  if (flags.certDir) ctx.certDir = flags.certDir;
  if (flags.tlsVerify !== undefined) ctx.tlsVerify = flags.tlsVerify;
  return ctx;
}

export function registerLogin(program: Command): void {
  program
    .command('login')
    .argument('<registry>', 'registry host[:port], e.g. registry.example.com or 127.0.0.1:5000')
    .description('check credentials against a registry and save them in auth.json')
    .option('-u, --username <name>', 'user name')
    .option('-p, --password <password>', 'password (prefer --password-stdin: command lines are visible to other users)')
    .option('--password-stdin', 'read the password from standard input')
    .option('--authfile <file>', 'auth.json to write (default: $REGISTRY_AUTH_FILE, then $XDG_RUNTIME_DIR/containers/auth.json)')
    .option('--cert-dir <dir>', 'CA and client certificates for the registry')
    .option('--tls-verify [bool]', 'require HTTPS and verify certificates (default true)', (v) => v !== 'false')
    .action(async (registry: string, flags: LoginFlags) => {
      if (!flags.username) throw new ImgsealError('INVALID_ARGUMENT', 'login: --username is required');
      let password = flags.password;
      if (flags.passwordStdin) {
        if (password !== undefined) throw new ImgsealError('INVALID_ARGUMENT', 'login: use either --password or --password-stdin');
        password = await readSecretFromStdin('login --password-stdin');
      }
      if (password === undefined) throw new ImgsealError('INVALID_ARGUMENT', 'login: give the password with --password-stdin (or -p)');
      const { login } = await import('../../transports/docker/login.js');
      const r = await login(registry, { username: flags.username, password }, ctxOf(flags));
      process.stdout.write(`Login Succeeded! (credentials for ${r.key} saved in ${r.authFile})\n`);
    });

  program
    .command('logout')
    .argument('[registry]', 'registry host[:port]')
    .description('remove saved credentials for a registry from auth.json')
    .option('-a, --all', 'remove the credentials of every registry')
    .option('--authfile <file>', 'auth.json to change')
    .action(async (registry: string | undefined, flags: { all?: boolean; authfile?: string }) => {
      if (!registry && !flags.all) throw new ImgsealError('INVALID_ARGUMENT', 'logout: name a registry or use --all');
      const { logout } = await import('../../transports/docker/login.js');
      const r = await logout(registry, ctxOf(flags), { all: !!flags.all });
      if (flags.all) process.stdout.write(`Removed login credentials for all registries from ${r.authFile}\n`);
      else if (r.removed) process.stdout.write(`Removed login credentials for ${registry} from ${r.authFile}\n`);
      else throw new ImgsealError('INVALID_ARGUMENT', `not logged into ${registry}`);
    });
}
