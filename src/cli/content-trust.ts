/**
 * `--content-trust` (or DOCKER_CONTENT_TRUST=1, as docker): a `docker://` source named
 * by tag is read only through valid trust data, by the digest the trust data signs, so a
 * tag moved in the registry behind the signer's back still yields the signed image. A
 * source by digest is allowed as it is (as docker allows it); other transports have no
 * trust data and are not affected. It runs before the source is opened, so a refusal
 * writes nothing anywhere; policy.json is evaluated as well, after it.
 */
import type { Command } from 'commander';
import { DockerReference } from '../transports/docker/index.js';
import type { ImageReference } from '../transports/types.js';
import type { SystemContext } from '../transports/context.js';
import { resolveTrustedImage } from '../trust/content-trust.js';
import { addTrustServerFlags, trustOptions, type TrustFlags } from './commands/trust.js';

export type ContentTrustFlags = TrustFlags & { contentTrust?: boolean };

export function addContentTrustFlags(cmd: Command): Command {
  return addTrustServerFlags(cmd.option('--content-trust', 'read a docker:// source by tag only through valid Docker Content Trust data (also DOCKER_CONTENT_TRUST=1)'));
}

export function contentTrustEnabled(flags: ContentTrustFlags, env: NodeJS.ProcessEnv = process.env): boolean {
  return flags.contentTrust === true || /^(1|true)$/i.test(env.DOCKER_CONTENT_TRUST ?? '');
}

/** The source to read: the trusted digest of a tagged docker:// source, else the source itself. */
export async function trustedSource(ref: ImageReference, flags: ContentTrustFlags, ctx: SystemContext): Promise<ImageReference> {
  if (!contentTrustEnabled(flags) || !(ref instanceof DockerReference) || ref.parsed.digest) return ref;
  const target = await resolveTrustedImage(ref, { ...trustOptions(flags), http: ctx });
  const { tag: _tag, ...rest } = ref.parsed;
  return new DockerReference({ ...rest, digest: target.digest as typeof ref.parsed.digest & string });
}
