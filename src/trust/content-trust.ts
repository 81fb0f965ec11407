/**
 * Docker Content Trust operations, as `docker trust` offers them, over a notary-server:
 * the library surface the CLI's `imgseal trust …` commands and `--content-trust` call.
 * Each operation opens the repository's trust data (fetched and verified against the
 * local trust cache), changes what it must, publishes, and verifies the result again.
 */
import { createPublicKey, generateKeyPairSync, type KeyObject } from 'node:crypto';
import { readFile, rm, stat } from 'node:fs/promises';
import { homedir } from 'node:os';
import { join } from 'node:path';
import { ImgsealError, isImgsealError } from '../errors.js';
import type { HttpContext } from '../http/index.js';
import { sha256Digest } from '../model/digest.js';
import type { DockerReference } from '../transports/docker/index.js';
import { writeFileAtomic } from '../util/atomic-file.js';
import { TrustEditor } from './client/editor.js';
import { initializeRepository } from './client/initialize.js';
import type { NotaryClient } from './client/notary-client.js';
import { openNotaryClient } from './client/open-notary.js';
import { openKeyRing, type KeyRing, type TrustPassphrases } from './client/signing-keys.js';
import { fetchTrustedRepository } from './client/update.js';
import { inspectTrust, type TrustInspection } from './inspect.js';
import { TrustDir } from './store/trust-dir.js';
import { resolveTrustedTag, tufKeyId, tufKeyObject, type TrustedTarget, type VerifiedRepository } from './tuf/index.js';

export interface TrustOptions {
  /** `--trust-server`; else DOCKER_CONTENT_TRUST_SERVER; else docker's default for the registry. */
  serverUrl?: string;
  /** `--trust-ca`: a CA file for the trust server. */
  caFile?: string;
  /** DOCKER_CONFIG, DOCKER_CONTENT_TRUST_SERVER and the passphrase variables are read from here. */
  env?: NodeJS.ProcessEnv;
  /** Registry access (for the manifest of `trust sign`) and HTTP settings for the trust server. */
  http?: HttpContext;
  passphrases?: TrustPassphrases;
  now?: () => Date;
}

export function dockerConfigDir(env: NodeJS.ProcessEnv = process.env): string {
  return env.DOCKER_CONFIG ?? join(homedir(), '.docker');
}

/** The GUN of an image: its fully qualified repository name, `HOST[:PORT]/REPO`. */
export function gunOf(ref: DockerReference): string {
  return `${ref.parsed.domain}/${ref.parsed.repository}`;
}

/** docker's choice: DOCKER_CONTENT_TRUST_SERVER, notary.docker.io for Docker Hub, else the registry host. */
export function trustServerFor(ref: DockerReference, o: TrustOptions): string {
  const env = o.env ?? process.env;
  return o.serverUrl ?? env.DOCKER_CONTENT_TRUST_SERVER ?? (ref.parsed.domain === 'docker.io' ? 'https://notary.docker.io' : `https://${ref.parsed.domain}`);
}

/** Passphrases from docker's variables; a command line adds a prompt on a terminal. */
export function envPassphrases(env: NodeJS.ProcessEnv = process.env): TrustPassphrases {
  const need = (name: string, what: string) => async () => {
    const v = env[name];
    if (!v) throw new ImgsealError('KEY_PASSWORD', `the ${what} passphrase is needed: set ${name}`);
    return v;
  };
  return { root: need('DOCKER_CONTENT_TRUST_ROOT_PASSPHRASE', 'root key'), repository: need('DOCKER_CONTENT_TRUST_REPOSITORY_PASSPHRASE', 'repository key') };
}

interface Session {
  client: NotaryClient;
  dir: TrustDir;
  gun: string;
  now: Date;
  ring: () => Promise<KeyRing>;
}

async function withSession<T>(ref: DockerReference, o: TrustOptions, fn: (s: Session) => Promise<T>): Promise<T> {
  const env = o.env ?? process.env;
  const gun = gunOf(ref);
  const dockerConfig = dockerConfigDir(env);
  const client = await openNotaryClient({ serverUrl: trustServerFor(ref, o), ...(o.caFile ? { caFile: o.caFile } : {}), dockerConfig, gun, registry: { domain: ref.parsed.domain, repository: ref.parsed.repository }, http: o.http ?? {} });
  const dir = new TrustDir(join(dockerConfig, 'trust'));
  let ring: KeyRing | undefined;
  try {
    return await fn({ client, dir, gun, now: o.now?.() ?? new Date(), ring: async () => (ring ??= await openKeyRing(dir, o.passphrases ?? envPassphrases(env))) });
  } finally {
    await client.close();
  }
}

const fetchRepo = (s: Session) => fetchTrustedRepository({ client: s.client, cache: s.dir, gun: s.gun, now: s.now });

/** The verified repository, initialising it first when the server has no trust data yet. */
async function fetchOrInitialize(s: Session): Promise<VerifiedRepository> {
  try {
    return await fetchRepo(s);
  } catch (err) {
    if (!isImgsealError(err, 'TRUST_DATA_MISSING')) throw err;
    await initializeRepository(s.client, await s.ring(), s.gun, s.now);
    return fetchRepo(s);
  }
}

/** Resolves a tag through valid trust data only: what `--content-trust` pulls. */
export async function resolveTrustedImage(ref: DockerReference, o: TrustOptions = {}): Promise<TrustedTarget> {
  const tag = ref.parsed.tag ?? 'latest';
  return withSession(ref, o, async (s) => resolveTrustedTag(await fetchRepo(s), tag));
}

export async function trustInspect(ref: DockerReference, o: TrustOptions = {}): Promise<TrustInspection> {
  const name = ref.parsed.tag ? `${gunOf(ref)}:${ref.parsed.tag}` : gunOf(ref);
  return withSession(ref, o, async (s) => inspectTrust(await fetchRepo(s), name, ref.parsed.tag));
}

export interface TrustSignResult {
  gun: string;
  tag: string;
  digest: string;
  size: number;
  roles: string[];
}

/** Signs the manifest the registry serves for IMAGE:TAG into every role the user holds keys for. */
export async function trustSign(ref: DockerReference, o: TrustOptions = {}): Promise<TrustSignResult> {
  const tag = ref.parsed.tag;
  if (!tag || ref.parsed.digest) throw new ImgsealError('INVALID_ARGUMENT', `trust sign needs IMAGE:TAG, not ${ref.name}`);
  const src = await ref.newImageSource(o.http ?? {});
  let manifest: Buffer;
  try {
    manifest = (await src.getManifest()).bytes;
  } finally {
    await src.close();
  }
  const digest = sha256Digest(manifest);
  return withSession(ref, o, async (s) => {
    const editor = new TrustEditor(s.client, await s.ring(), await fetchOrInitialize(s), s.now);
    const roles = editor.sign(tag, digest.slice('sha256:'.length), manifest.length);
    await editor.publish();
    resolveTrustedTag(await fetchRepo(s), tag); // the server took it, and it verifies
    return { gun: s.gun, tag, digest, size: manifest.length, roles };
  });
}

export async function trustRevoke(ref: DockerReference, o: TrustOptions = {}): Promise<{ gun: string; tags: string[]; roles: string[] }> {
  return withSession(ref, o, async (s) => {
    const repo = await fetchRepo(s);
    const editor = new TrustEditor(s.client, await s.ring(), repo, s.now);
    const tags = ref.parsed.tag ? [ref.parsed.tag] : [...new Set(['targets/releases', 'targets'].flatMap((r) => [...(repo.targets.get(r)?.signed.targets.keys() ?? [])]))];
    if (tags.length === 0) throw new ImgsealError('TRUST_TARGET_NOT_FOUND', `no signed tags in ${s.gun}`);
    const roles = new Set<string>();
    for (const t of tags) for (const r of editor.revoke(t)) roles.add(r);
    await editor.publish();
    await fetchRepo(s);
    return { gun: s.gun, tags, roles: [...roles] };
  });
}

/** Reads a PEM public key (docker's `NAME.pub` carries a `role:` header) as a Notary key. */
export async function readSignerPublicKey(path: string): Promise<{ id: string; keyObject: Record<string, unknown> }> {
  const text = await readFile(path, 'utf8').catch((err: Error) => {
    throw new ImgsealError('INVALID_KEY', `reading ${path}: ${err.message}`, { cause: err });
  });
  let key: KeyObject;
  try {
    key = createPublicKey(text.replace(/^[A-Za-z-]+: .*\r?\n/gm, '').replace(/(-----BEGIN [A-Z ]+-----)\r?\n\r?\n/, '$1\n'));
  } catch {
    throw new ImgsealError('INVALID_KEY', `${path} is not a PEM public key`);
  }
  if (key.asymmetricKeyType !== 'ec' && key.asymmetricKeyType !== 'rsa') throw new ImgsealError('INVALID_KEY', `${path}: a ${String(key.asymmetricKeyType)} key cannot be a signer key`);
  const keyObject = tufKeyObject(key);
  return { id: tufKeyId(keyObject.keytype, keyObject.keyval.public), keyObject };
}

export async function trustSignerAdd(name: string, keyFiles: readonly string[], ref: DockerReference, o: TrustOptions = {}): Promise<{ gun: string; keyIds: string[] }> {
  if (keyFiles.length === 0) throw new ImgsealError('INVALID_ARGUMENT', 'trust signer add needs at least one --key');
  const keys = await Promise.all(keyFiles.map(readSignerPublicKey));
  return withSession(ref, o, async (s) => {
    const editor = new TrustEditor(s.client, await s.ring(), await fetchOrInitialize(s), s.now);
    editor.addSigner(name, keys);
    await editor.publish();
    await fetchRepo(s);
    return { gun: s.gun, keyIds: keys.map((k) => k.id) };
  });
}

export async function trustSignerRemove(name: string, ref: DockerReference, o: TrustOptions & { force?: boolean } = {}): Promise<{ gun: string }> {
  return withSession(ref, o, async (s) => {
    const editor = new TrustEditor(s.client, await s.ring(), await fetchRepo(s), s.now);
    editor.removeSigner(name, { force: o.force ?? false });
    await editor.publish();
    await fetchRepo(s);
    return { gun: s.gun };
  });
}

/** `docker trust key generate NAME`: the private key into the trust dir, `DIR/NAME.pub` for the admin. */
export async function trustKeyGenerate(name: string, outDir: string, o: TrustOptions = {}): Promise<{ id: string; publicKeyFile: string }> {
  const { privateKey } = generateKeyPairSync('ec', { namedCurve: 'P-256' });
  return storeSignerKey(name, privateKey, outDir, o);
}

/** `docker trust key load FILE --name NAME`: imports a PEM private key (not readable by group or others). */
export async function trustKeyLoad(file: string, name: string, o: TrustOptions & { keyPassphrase?: string } = {}): Promise<{ id: string }> {
  const { loadPrivateKeyFile } = await import('./store/load-key.js');
  const key = await loadPrivateKeyFile(file, o.keyPassphrase);
  const env = o.env ?? process.env;
  const dir = new TrustDir(join(dockerConfigDir(env), 'trust'));
  const bare = tufKeyObject(createPublicKey(key));
  const id = tufKeyId(bare.keytype, bare.keyval.public);
  await dir.writePrivateKey(id, key, await (o.passphrases ?? envPassphrases(env)).repository(), { role: validSignerName(name) });
  return { id };
}

function validSignerName(name: string): string {
  if (!/^[a-z0-9][a-z0-9_-]*$/.test(name) || name === 'releases') throw new ImgsealError('INVALID_ARGUMENT', `signer name "${name}" must match ^[a-z0-9][a-z0-9_-]*$ and not be "releases"`);
  return name;
}

async function storeSignerKey(name: string, key: KeyObject, outDir: string, o: TrustOptions): Promise<{ id: string; publicKeyFile: string }> {
  validSignerName(name);
  const env = o.env ?? process.env;
  const dir = new TrustDir(join(dockerConfigDir(env), 'trust'));
  const pub = createPublicKey(key);
  const bare = tufKeyObject(pub);
  const id = tufKeyId(bare.keytype, bare.keyval.public);
  const publicKeyFile = join(outDir, `${name}.pub`);
  const pem = (pub.export({ format: 'pem', type: 'spki' }) as string).replace('-----BEGIN PUBLIC KEY-----\n', `-----BEGIN PUBLIC KEY-----\nrole: ${name}\n\n`);
  // Everything that can fail comes before the first write, and a failed second write
  // takes the first back: a refused generate leaves no file behind.
  const passphrase = await (o.passphrases ?? envPassphrases(env)).repository();
  if (await stat(publicKeyFile).then(() => true, () => false)) throw new ImgsealError('IO_ERROR', `${publicKeyFile} exists already`);
  const privatePath = await dir.writePrivateKey(id, key, passphrase, { role: name });
  try {
    await writeFileAtomic(publicKeyFile, pem, { mode: 0o644, exclusive: true });
  } catch (err) {
    await rm(privatePath, { force: true });
    throw err;
  }
  return { id, publicKeyFile };
}
