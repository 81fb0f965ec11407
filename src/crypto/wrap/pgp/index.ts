/**
 * The `pgp` key-wrap scheme (spec §5.3), built on `openpgp` 6: what skopeo's
 * `pgp:` writes and reads. Recipients: public key files or the gpg keyring;
 * keys: binary or armored secret key files; layerinfo shows PKESK key ids;
 * removal drops PKESK packets by key id without the layer key.
 */
import type { KeyScheme, RemovalResult } from '../types.js';
import { unwrapPgp, wrapPgp } from './message.js';
import { formatKeyId, messageLayout, pkeskKeyId } from './packets.js';
import { loadPgpKeyFile, parsePgpRecipient, pgpSecretKeysOf, type PgpRecipientMaterial } from './recipient.js';

function describePgp(entry: Uint8Array): string[] {
  try {
    return messageLayout(entry).pkesks.map((p) => {
      const id = pkeskKeyId(p);
      return id ? formatKeyId(id) : '[pgp]';
    });
  } catch {
    return ['[pgp]'];
  }
}

function removePgp(entry: Uint8Array, keyIds: ReadonlySet<string>): RemovalResult {
  const { pkesks, rest } = messageLayout(entry);
  const kept = pkesks.filter((p) => !keyIds.has(pkeskKeyId(p) ?? ''));
  const removed = pkesks.filter((p) => !kept.includes(p)).map((p) => formatKeyId(pkeskKeyId(p)!));
  if (kept.length === 0) return { entry: undefined, removed, remaining: 0 };
  if (removed.length === 0) return { entry, removed, remaining: kept.length };
  const parts = [...kept.map((p) => entry.subarray(p.start, p.end)), entry.subarray(rest)];
  return { entry: Buffer.concat(parts), removed, remaining: kept.length };
}

export const pgpScheme: KeyScheme = {
  prefix: 'pgp',
  handles: (scheme) => scheme === 'pgp',
  parseRecipient: (value, ctx) => parsePgpRecipient(value, ctx),
  loadKeyFile: (file) => loadPgpKeyFile(file),
  wrap: (_scheme, privateOptions, recipients) => wrapPgp(privateOptions, recipients.flatMap((r) => (r.material as PgpRecipientMaterial).keys)),
  unwrap: async (_scheme, entry, keys) => unwrapPgp(entry, await pgpSecretKeysOf(keys.keys)),
  describe: async (_scheme, entry) => describePgp(entry),
  removeRecipients: async (_scheme, entry, targets) => {
    const ids = new Set(targets.filter((t) => t.scheme === 'pgp').flatMap((t) => (t.material as PgpRecipientMaterial).keyIds));
    return removePgp(entry, ids);
  },
};

export { PGP_SECRET_KEYS_KIND, type PgpRecipientMaterial, type PgpSecretKeysMaterial } from './recipient.js';
