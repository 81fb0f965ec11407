/** Parsers and helpers for flags shared by several commands. */
import { InvalidArgumentError } from 'commander';
import { loadDecryptionKey, parseRecipient } from '../crypto/keys/index.js';
import type { DecryptionKey, Recipient } from '../crypto/wrap/types.js';
import { parsePlatform, type Platform } from '../model/platform.js';

export function collect(value: string, previous: string[] | undefined): string[] {
  return [...(previous ?? []), value];
}

export function collectInt(value: string, previous: number[] | undefined): number[] {
  if (!/^-?\d+$/.test(value)) throw new InvalidArgumentError(`"${value}" is not an integer`);
  return [...(previous ?? []), Number(value)];
}

export function positiveInt(value: string): number {
  if (!/^\d+$/.test(value) || Number(value) < 1) throw new InvalidArgumentError(`"${value}" is not a positive integer`);
  return Number(value);
}

export function platforms(specs: string[] | undefined): Platform[] | undefined {
  return specs?.map(parsePlatform);
}

export async function recipients(specs: string[] | undefined): Promise<Recipient[]> {
  return Promise.all((specs ?? []).map((s) => parseRecipient(s)));
}

export async function decryptionKeys(specs: string[] | undefined): Promise<DecryptionKey[]> {
  return Promise.all((specs ?? []).map((s) => loadDecryptionKey(s)));
}
