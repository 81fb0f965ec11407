/**
 * `imgseal trust …`: Docker Content Trust as `docker trust` offers it (key generate/load,
 * signer add/remove, sign, inspect, revoke) against a notary-server. Image arguments are
 * written as docker writes them (`HOST/REPO:TAG`), with or without `docker://`.
 */
import { Command } from 'commander';
import { ImgsealError } from '../../errors.js';
import { DockerReference } from '../../transports/docker/index.js';
import { parseImageName } from '../../transports/transports.js';
import { envPassphrases, trustInspect, trustKeyGenerate, trustKeyLoad, trustRevoke, trustSign, trustSignerAdd, trustSignerRemove, type TrustOptions } from '../../trust/content-trust.js';
import type { TrustPassphrases } from '../../trust/client/signing-keys.js';
import { formatTrustPretty } from '../../trust/inspect.js';
import { registriesDirOf, signers } from '../signature-flags.js';
import { writeFileAtomic } from '../../util/atomic-file.js';
import { addTransportFlags, sourceContext, type TransportFlags } from '../context-flags.js';
import { promptSecret } from '../prompt.js';

export type TrustFlags = TransportFlags & { trustServer?: string; trustCa?: string };

/**
 * `HOST/REPO[:TAG]` or `docker://HOST/REPO[:TAG]` as a registry reference. Without a
 * tag in the argument the reference has none (not `latest`): inspect and revoke then
 * mean every signed tag, as with docker.
 */
export function dockerImageArg(arg: string): DockerReference {
  const ref = parseImageName(arg.startsWith('docker://') ? arg : `docker://${arg}`);
  if (!(ref instanceof DockerReference)) throw new ImgsealError('INVALID_ARGUMENT', `${arg} is not a registry image`);
  const lastPart = arg.replace(/^docker:\/\//, '').replace(/@.*$/, '').split('/').pop() ?? '';
  if (lastPart.includes(':') || ref.parsed.tag === undefined) return ref;
  const { tag: _tag, ...untagged } = ref.parsed;
  return new DockerReference(untagged);
}

/** Passphrases from docker's variables, else asked on the terminal once each. */
function cliPassphrases(): TrustPassphrases {
  const env = envPassphrases();
  const cache: Partial<Record<'root' | 'repository', Promise<string>>> = {};
  const ask = (kind: 'root' | 'repository', variable: string, question: string) => () =>
    (cache[kind] ??= env[kind]().catch(() => promptSecret(question, `set ${variable}`)));
  return {
    root: ask('root', 'DOCKER_CONTENT_TRUST_ROOT_PASSPHRASE', 'Passphrase for the root key: '),
    repository: ask('repository', 'DOCKER_CONTENT_TRUST_REPOSITORY_PASSPHRASE', 'Passphrase for the repository (signer) keys: '),
  };
}

export function trustOptions(flags: TrustFlags): TrustOptions {
  return { ...(flags.trustServer ? { serverUrl: flags.trustServer } : {}), ...(flags.trustCa ? { caFile: flags.trustCa } : {}), http: sourceContext(flags), passphrases: cliPassphrases() };
}

export function addTrustServerFlags(cmd: Command): Command {
  return cmd
    .option('--trust-server <url>', 'notary server (default: $DOCKER_CONTENT_TRUST_SERVER, else https://REGISTRY as docker)')
    .option('--trust-ca <file>', 'CA certificate of the notary server (default: $DOCKER_CONFIG/tls/HOST:PORT/*.crt)');
}

function withFlags(cmd: Command): Command {
  return addTransportFlags(addTrustServerFlags(cmd), ['src']);
}

const json = (v: unknown) => process.stdout.write(`${JSON.stringify(v, null, 4)}\n`);

export function registerTrust(program: Command): void {
  const trust = program.command('trust').description('Docker Content Trust (Notary v1): sign, inspect and revoke tags; manage signers and keys');

  const key = trust.command('key').description('signer keys in the trust directory ($DOCKER_CONFIG/trust)');
  key
    .command('generate')
    .argument('<name>', 'signer name')
    .option('--dir <dir>', 'where NAME.pub is written', '.')
    .description('generate an ECDSA P-256 signer key: the private key goes into the trust directory (encrypted), NAME.pub into --dir')
    .action(async (name: string, flags: { dir: string }) => {
      const r = await trustKeyGenerate(name, flags.dir, { passphrases: cliPassphrases() });
      process.stderr.write(`Successfully generated and loaded private key. Corresponding public key available: ${r.publicKeyFile}\n`);
      json({ name, keyId: r.id, publicKeyFile: r.publicKeyFile });
    });
  key
    .command('load')
    .argument('<file>', 'PEM private key (mode 0600)')
    .option('--name <name>', 'signer name', 'signer')
    .description('import a PEM private key into the trust directory as signer NAME')
    .action(async (file: string, flags: { name: string }) => {
      const r = await trustKeyLoad(file, flags.name, { passphrases: cliPassphrases() });
      process.stderr.write(`Successfully imported key from ${file}\n`);
      json({ name: flags.name, keyId: r.id });
    });

  const signer = trust.command('signer').description('signers (delegations) of a repository');
  withFlags(
    signer
      .command('add')
      .argument('<name>', 'signer name')
      .argument('<repository>', 'HOST/REPO')
      .requiredOption('--key <pub>', 'the signer\'s PEM public key (repeatable)', (v: string, acc: string[] = []) => [...acc, v])
      .description('add a signer to a repository (initialises its trust data on first use)'),
  ).action(async (name: string, repo: string, flags: TrustFlags & { key: string[] }) => {
    const r = await trustSignerAdd(name, flags.key, dockerImageArg(repo), trustOptions(flags));
    process.stderr.write(`Successfully added signer: ${name} to ${r.gun}\n`);
    json(r);
  });
  withFlags(
    signer
      .command('remove')
      .argument('<name>', 'signer name')
      .argument('<repository>', 'HOST/REPO')
      .option('--force', 'remove the signer even if signed tags are then left without a valid signer')
      .description('remove a signer from a repository'),
  ).action(async (name: string, repo: string, flags: TrustFlags & { force?: boolean }) => {
    const r = await trustSignerRemove(name, dockerImageArg(repo), { ...trustOptions(flags), force: flags.force ?? false });
    process.stderr.write(`Successfully removed ${name} from ${r.gun}\n`);
  });

  withFlags(trust.command('sign').argument('<image>', 'HOST/REPO:TAG (the manifest the registry serves for it is signed)').description('sign a tag: its manifest digest and size go into every role you hold keys for')).action(
    async (image: string, flags: TrustFlags) => {
      const r = await trustSign(dockerImageArg(image), trustOptions(flags));
      process.stderr.write(`Successfully signed ${r.gun}:${r.tag} (${r.digest}, ${r.size} bytes) into ${r.roles.join(', ')}\n`);
      json(r);
    },
  );
  withFlags(trust.command('inspect').argument('<image...>', 'HOST/REPO[:TAG]').option('--pretty', 'human-readable tables').description('show signed tags, signers and administrative keys (JSON, as docker trust inspect)')).action(
    async (images: string[], flags: TrustFlags & { pretty?: boolean }) => {
      const out = [];
      for (const image of images) {
        const ref = dockerImageArg(image);
        const r = await trustInspect(ref, trustOptions(flags));
        if (flags.pretty) process.stdout.write(formatTrustPretty(r, `${ref.parsed.domain}/${ref.parsed.repository}`));
        out.push(r);
      }
      if (!flags.pretty) json(out);
    },
  );
  withFlags(trust.command('revoke').argument('<image>', 'HOST/REPO[:TAG] (without a tag: every signed tag)').description('remove the signatures of a tag from every role you hold keys for')).action(
    async (image: string, flags: TrustFlags) => {
      const r = await trustRevoke(dockerImageArg(image), trustOptions(flags));
      process.stderr.write(`Successfully deleted signature for ${r.tags.map((t) => `${r.gun}:${t}`).join(', ')}\n`);
    },
  );
  withFlags(
    trust
      .command('migrate')
      .argument('<image...>', 'HOST/REPO[:TAG] (without a tag: every signed tag); several tags of one repository may be given')
      .option('--sign-by <fingerprint>', 'sign with this GPG key (gpg with $GNUPGHOME, as skopeo)')
      .option('--sign-by-key-file <file>', 'sign with this OpenPGP secret key file')
      .option('--sign-by-sigstore-private-key <file>', 'also or instead make a sigstore (cosign-format) signature with this encrypted private key, stored as a .sig attachment (registries.d use-sigstore-attachments)')
      .option('--sign-passphrase-file <file>', 'passphrase of the signing key (first line of the file; for a sigstore key default $COSIGN_PASSWORD, else asked on the terminal)')
      .option('--registries.d <dir>', 'registries.d folder: where the new signatures are stored (lookaside-staging)')
      .option('--report <file>', 'also write the JSON report to this file')
      .description('leave Docker Content Trust: verify each signed tag through Notary, check the registry serves that digest, and sign exactly that digest with simple signing and/or a sigstore signature'),
  ).action(async (images: string[], flags: TrustFlags & { signBy?: string; signByKeyFile?: string; signBySigstorePrivateKey?: string; signPassphraseFile?: string; report?: string }) => {
    const { trustMigrate } = await import('../../trust/migrate.js');
    const signWith = await signers(flags);
    const registriesDir = registriesDirOf(flags as never);
    const reports = [];
    for (const image of images) {
      const ref = dockerImageArg(image);
      const opts = trustOptions(flags);
      const context = { ...(opts.http ?? {}), ...(registriesDir ? { registriesDir } : {}) };
      reports.push(await trustMigrate(ref, ref.parsed.tag ? [ref.parsed.tag] : undefined, { ...opts, context, signers: signWith }));
    }
    const text = `${JSON.stringify(reports, null, 2)}\n`;
    if (flags.report) await writeFileAtomic(flags.report, text, { mode: 0o644 });
    process.stdout.write(text);
    const failed = reports.flatMap((r) => r.tags.filter((t) => t.error));
    if (failed.length > 0) throw new ImgsealError('TRUST_MIGRATION_INCOMPLETE', `${failed.length} tag(s) not migrated: ${failed.map((t) => `${t.tag}: ${t.error}`).join('; ')}`);
  });
  for (const c of [trust, key, signer, ...trust.commands, ...key.commands, ...signer.commands]) c.exitOverride();
}
