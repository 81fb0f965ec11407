/** Parsers and helpers for flags shared by several commands. */
import { InvalidArgumentError } from 'commander';
import { loadDecryptionKey } from '../crypto/keys/index.js';
import { loadSchemeConfig } from '../crypto/wrap/config.js';
import { parseRecipient } from '../crypto/wrap/recipients.js';
import type { DecryptionKey, Recipient, RecipientPurpose, SchemeConfig } from '../crypto/wrap/types.js';
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

/** A count that may be 0 (`--retry-times 0` = no retry). */
export function nonNegativeInt(value: string): number {
  if (!/^\d+$/.test(value)) throw new InvalidArgumentError(`"${value}" is not a whole number (0 or more)`);
  return Number(value);
}

/** Seconds, whole or decimal, more than 0 and at most a day. */
export function positiveSeconds(value: string): number {
  const n = Number(value);
  if (!/^\d+(\.\d+)?$/.test(value) || !(n > 0) || n > 86_400) throw new InvalidArgumentError(`"${value}" is not a number of seconds (more than 0, at most 86400)`);
  return n;
}

export function platforms(specs: string[] | undefined): Platform[] | undefined {
  return specs?.map(parsePlatform);
}

/** The key-wrap scheme configuration, from this process's environment: the one place the CLI reads it. */
export function schemeConfig(): Promise<SchemeConfig> {
  return loadSchemeConfig(process.env);
}

export async function recipients(specs: string[] | undefined, config: SchemeConfig, purpose: RecipientPurpose = 'encrypt'): Promise<Recipient[]> {
  return Promise.all((specs ?? []).map((s) => parseRecipient(s, { config, purpose })));
}

export async function decryptionKeys(specs: string[] | undefined, config: SchemeConfig): Promise<DecryptionKey[]> {
  return Promise.all((specs ?? []).map((s) => loadDecryptionKey(s, { config })));
}
