/**
 * Which credentials answer a trust server's token challenge. docker sends the
 * credentials of the image's registry (`docker login REGISTRY`; for Docker Hub those of
 * index.docker.io go to notary.docker.io's token service). imgseal does the same, except
 * that credentials stored for the trust server's own `host:port` win when there are
 * any (a notary with an auth service of its own). `--creds` are the registry's, so they
 * go to the trust server too; `--no-creds` means anonymous; a `--registry-token` is the
 * registry's bearer token for the registry's audience and is never sent to the trust server.
 */
import { resolveCredentials, type Credential, type HttpContext } from '../../http/index.js';

export interface TrustServerCredential {
  credential: Credential | null;
  /** Where it came from, for messages: `--creds`, or the host whose entry was used. */
  source?: string;
}

export async function trustServerCredential(serverHost: string, registry: { domain: string; repository: string } | undefined, ctx: HttpContext): Promise<TrustServerCredential> {
  if (ctx.noCredentials) return { credential: null };
  const lookup: HttpContext = { ...ctx, registryToken: undefined };
  if (ctx.credentials) return { credential: (await resolveCredentials(serverHost, '', lookup)) ?? null, source: '--creds' };
  const own = await resolveCredentials(serverHost, '', lookup);
  if (own) return { credential: own, source: serverHost };
  if (!registry) return { credential: null };
  const reg = await resolveCredentials(registry.domain, registry.repository, lookup);
  return reg ? { credential: reg, source: registry.domain } : { credential: null };
}
