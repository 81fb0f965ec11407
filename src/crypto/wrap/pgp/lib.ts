/**
 * `openpgp` on first use: it costs ~15 MiB and ~60 ms to load, and most runs (jwe,
 * pkcs7, …) never touch a PGP key. Everything in this folder that needs the library
 * awaits this instead of importing it.
 */
import type * as Openpgp from 'openpgp';

let loading: Promise<typeof Openpgp> | undefined;

export function openpgpLib(): Promise<typeof Openpgp> {
  loading ??= import('openpgp');
  return loading;
}
