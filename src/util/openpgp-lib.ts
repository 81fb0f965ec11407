/**
 * `openpgp` on first use: it costs ~15 MiB and ~60 ms to load, and most runs (a jwe
 * copy, an unsigned copy) never touch a PGP key or signature. Every module that needs
 * the library awaits this instead of importing it.
 */
import type * as Openpgp from 'openpgp';

let loading: Promise<typeof Openpgp> | undefined;

export function openpgpLib(): Promise<typeof Openpgp> {
  loading ??= import('openpgp');
  return loading;
}
