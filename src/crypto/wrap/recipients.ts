/**
 * `SCHEME:VALUE` (`--encryption-key`, `--recipient`) → a Recipient, parsed by the
 * scheme the prefix names (spec §6.1; split at the first colon).
 */
import { ImgsealError } from '../../errors.js';
import { defaultSchemeContext } from './config.js';
import { defaultSchemes, OCICRYPT_PREFIXES, type SchemeRegistry } from './registry.js';
import type { Recipient, RecipientPurpose, SchemeContext } from './types.js';

function bad(message: string): ImgsealError {
  return new ImgsealError('INVALID_RECIPIENT', message);
}

export async function parseRecipient(
  spec: string,
  ctx: SchemeContext & { purpose?: RecipientPurpose } = defaultSchemeContext(),
  schemes: SchemeRegistry = defaultSchemes,
): Promise<Recipient> {
  const i = spec.indexOf(':');
  if (i < 0) throw bad(`Invalid recipient format: ${spec} (expected SCHEME:VALUE, e.g. jwe:key.pub.pem)`);
  const prefix = spec.slice(0, i);
  const scheme = schemes.forPrefix(prefix);
  if (scheme) return scheme.parseRecipient(spec.slice(i + 1), ctx);
  if (OCICRYPT_PREFIXES.includes(prefix)) {
    const have = schemes.all.map((s) => `${s.prefix}:`).join(', ');
    throw bad(`${prefix} recipients are not supported yet (supported: ${have}); in ${spec}`);
  }
  throw bad(`Provided protocol not recognized: ${prefix}`);
}

/** Recipients by annotation scheme name, in the order given. */
export function recipientsByScheme(recipients: readonly Recipient[]): Map<string, Recipient[]> {
  const out = new Map<string, Recipient[]>();
  for (const r of recipients) out.set(r.scheme, [...(out.get(r.scheme) ?? []), r]);
  return out;
}
