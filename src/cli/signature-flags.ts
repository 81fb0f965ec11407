/** Policy and signing flags (skopeo's names) and turning them into library options. */
import type { Command } from 'commander';
import { readFile } from 'node:fs/promises';
import type { CopyOptions, ManifestSigner, SourcePolicy } from '../copy/options.js';
import { ImgsealError } from '../errors.js';
import { loadPolicy, PolicyContext } from '../policy/index.js';
import { gpgManifestSigner, keyFileManifestSigner, readPassphraseFile, readSigningKey } from '../signature/sign.js';
import { decryptSigstorePrivateKey } from '../signature/sigstore-key.js';
import { sigstoreManifestSigner } from '../signature/sigstore-sign.js';
import { sigstorePassphrase } from './sigstore-passphrase.js';

export interface PolicyFlags {
  policy?: string;
  insecurePolicy?: boolean;
  registriesD?: string;
}

export interface SigningFlags {
  signBy?: string;
  signByKeyFile?: string;
  signBySigstorePrivateKey?: string;
  signPassphraseFile?: string;
  signIdentity?: string;
  removeSignatures?: boolean;
}

export function addPolicyFlags(cmd: Command): Command {
  return cmd
    .option('--policy <file>', 'signature policy (default: ~/.config/containers/policy.json, then /etc/containers/policy.json)')
    .option('--insecure-policy', 'accept any image without evaluating a policy')
    .option('--registries.d <dir>', 'registries.d folder: where signatures of registry images are (default: ~/.config/containers/registries.d, then /etc/containers/registries.d)');
}

export function addSigningFlags(cmd: Command): Command {
  return cmd
    .option('--sign-by <fingerprint>', 'sign the written manifest with this GPG key (gpg with $GNUPGHOME, as skopeo)')
    .option('--sign-by-key-file <file>', 'sign the written manifest with this OpenPGP secret key file')
    .option('--sign-by-sigstore-private-key <file>', 'also or instead make a sigstore (cosign-format) signature with this encrypted private key (stored as a .sig attachment; registries.d use-sigstore-attachments)')
    .option('--sign-passphrase-file <file>', 'passphrase of the signing key (first line of the file; for a sigstore key default $COSIGN_PASSWORD, else asked on the terminal)')
    .option('--sign-identity <reference>', 'the docker reference to sign as (default: the destination)')
    .option('--remove-signatures', 'do not copy the source signatures');
}

/** commander keeps `--registries.d` as `registries.d`. */
export function registriesDirOf(flags: PolicyFlags): string | undefined {
  return (flags as Record<string, unknown>)['registries.d'] as string | undefined;
}

export async function sourcePolicy(flags: PolicyFlags, warn: (m: string) => void): Promise<PolicyContext> {
  if (flags.insecurePolicy && flags.policy) throw new ImgsealError('INVALID_ARGUMENT', '--policy and --insecure-policy cannot be used together');
  return new PolicyContext(await loadPolicy({ ...(flags.policy ? { policyPath: flags.policy } : {}), insecure: !!flags.insecurePolicy, warn }));
}

export async function signers(flags: SigningFlags): Promise<ManifestSigner[]> {
  if (flags.signBy && flags.signByKeyFile) throw new ImgsealError('INVALID_ARGUMENT', '--sign-by and --sign-by-key-file cannot be used together');
  const passphrase = flags.signPassphraseFile ? await readPassphraseFile(flags.signPassphraseFile) : undefined;
  const out: ManifestSigner[] = [];
  if (flags.signBy) out.push(gpgManifestSigner({ keyIdentity: flags.signBy, ...(passphrase !== undefined ? { passphrase } : {}) }));
  if (flags.signByKeyFile) {
    out.push(keyFileManifestSigner(await readSigningKey(await readKeyFile(flags.signByKeyFile), flags.signByKeyFile, passphrase)));
  }
  if (flags.signBySigstorePrivateKey) {
    const file = flags.signBySigstorePrivateKey;
    const text = await readKeyFile(file);
    const pass = passphrase ?? (await sigstorePassphrase({ fileFlag: '--sign-passphrase-file', what: `the sigstore private key ${file}` }));
    out.push(sigstoreManifestSigner(await decryptSigstorePrivateKey(text, pass, file), { keyName: file }));
  }
  if (flags.signPassphraseFile && out.length === 0) throw new ImgsealError('INVALID_ARGUMENT', '--sign-passphrase-file needs --sign-by, --sign-by-key-file or --sign-by-sigstore-private-key');
  return out;
}

async function readKeyFile(path: string): Promise<Buffer> {
  try {
    return await readFile(path);
  } catch (err) {
    throw new ImgsealError('INVALID_ARGUMENT', `reading signing key ${path}: ${(err as NodeJS.ErrnoException).code ?? (err as Error).message}`);
  }
}

/** Puts --registries.d, --remove-signatures and the signing flags into copy options. */
export async function applySignatureFlags(opts: CopyOptions, flags: PolicyFlags & SigningFlags): Promise<void> {
  const registriesDir = registriesDirOf(flags);
  if (registriesDir) {
    opts.sourceContext = { ...opts.sourceContext, registriesDir };
    opts.destinationContext = { ...opts.destinationContext, registriesDir };
  }
  if (flags.removeSignatures) opts.removeSignatures = true;
  const signWith = await signers(flags);
  if (signWith.length > 0) opts.sign = { signers: signWith, ...(flags.signIdentity ? { identity: flags.signIdentity } : {}) };
}

export type { SourcePolicy };
