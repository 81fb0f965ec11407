/**
 * The decoder's one-line I/O failures (containerd shows our stderr to the user): what
 * failed and the errno code, the original error kept as the cause.
 */
import { ImgsealError } from '../../errors.js';

export function ioError(what: string, err: unknown): ImgsealError {
  return new ImgsealError('IO_ERROR', `${what}: ${(err as NodeJS.ErrnoException).code ?? (err as Error).message}`, { cause: err });
}
