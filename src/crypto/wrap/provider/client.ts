/**
 * Calling a configured key provider: build the protocol request, send it over
 * the provider's transport with a deadline, parse the answer. One call per
 * layer per provider, as ocicrypt.
 */
import { ImgsealError } from '../../../errors.js';
import { runCommandProvider, type CallOptions } from './command.js';
import { KEYPROVIDER_CONFIG_ENV, type KeyProviderConfig, type KeyProviderTransport } from './config.js';
import { callGrpcProvider } from './grpc.js';
import { keyUnwrapRequest, keyWrapRequest, parseKeyUnwrapAnswer, parseKeyWrapAnswer } from './protocol.js';

export const DEFAULT_KEYPROVIDER_TIMEOUT_MS = 30_000;

export interface KeyProviderOptions {
  config: KeyProviderConfig;
  /** Deadline of every provider call; default 30 s. */
  timeoutMs?: number;
  /** Environment of command providers; default process.env. */
  env?: NodeJS.ProcessEnv;
  signal?: AbortSignal;
}

export function providerTransport(config: KeyProviderConfig, name: string): KeyProviderTransport | undefined {
  return config.providers.get(name);
}

function transportOf(opts: KeyProviderOptions, name: string): KeyProviderTransport {
  const t = opts.config.providers.get(name);
  if (t) return t;
  const where = opts.config.source ? `in ${opts.config.source}` : `(${KEYPROVIDER_CONFIG_ENV} is not set)`;
  throw new ImgsealError('INVALID_RECIPIENT', `key provider ${name} is not configured ${where}`);
}

async function call(name: string, t: KeyProviderTransport, op: 'keywrap' | 'keyunwrap', request: Buffer, opts: KeyProviderOptions): Promise<Buffer> {
  const who = `key provider ${name}`;
  const callOpts: CallOptions = { timeoutMs: opts.timeoutMs ?? DEFAULT_KEYPROVIDER_TIMEOUT_MS };
  if (opts.signal) callOpts.signal = opts.signal;
  if (opts.env) callOpts.env = opts.env;
  if (t.kind === 'cmd') return runCommandProvider(who, t.path, t.args, request, callOpts);
  return callGrpcProvider(who, t.address, t.tls, op, request, callOpts);
}

/** Wraps the private options with provider `name`; returns the bytes to store as its annotation entry. */
export async function providerWrap(name: string, params: readonly Uint8Array[], privateOptions: Uint8Array, opts: KeyProviderOptions): Promise<Buffer> {
  const t = transportOf(opts, name);
  const answer = await call(name, t, 'keywrap', keyWrapRequest(name, params, privateOptions), opts);
  return parseKeyWrapAnswer(answer, `key provider ${name}`);
}

/**
 * Asks provider `name` to unwrap one annotation entry. Undefined when the
 * provider is not configured or answers "no optsdata".
 */
export async function providerUnwrap(name: string, params: readonly Uint8Array[], entry: Uint8Array, opts: KeyProviderOptions): Promise<Buffer | undefined> {
  const t = opts.config.providers.get(name);
  if (!t) return undefined;
  const answer = await call(name, t, 'keyunwrap', keyUnwrapRequest(name, params, entry), opts);
  return parseKeyUnwrapAnswer(answer, `key provider ${name}`);
}
