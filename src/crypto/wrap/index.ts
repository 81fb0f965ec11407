/**
 * The key-wrap schemes we have, as an explicit list (no registration by import
 * side effect). Adding a scheme = adding its folder and one line here.
 */
import { JweKeyWrapper } from './jwe/index.js';
import type { KeyWrapper } from './types.js';

export function keyWrappers(): KeyWrapper[] {
  return [new JweKeyWrapper()];
}

/** The wrapper for a scheme name (`jwe`, …), or undefined when we have none. */
export function keyWrapperFor(scheme: string): KeyWrapper | undefined {
  return keyWrappers().find((w) => w.scheme === scheme);
}

/** Same as keyWrapperFor (both names are in use). */
export const wrapperFor = keyWrapperFor;

export { JweKeyWrapper } from './jwe/index.js';
export type { DecryptionKey, KeyWrapper, Recipient } from './types.js';
