/**
 * Calling a configured key provider: build the protocol request, send it over
 * the provider's transport with a deadline, parse the answer. One call per
 * layer per provider, as ocicrypt.
 */
import { ImgsealError } from '../../../errors.js';
import { runCommandProvider, type CallOptions } from './command.js';
import { KEYPROVIDER_CONFIG_ENV, type KeyProviderConfig, type KeyProviders } from './config.js';
import { callGrpcProvider } from './grpc.js';
import { keyUnwrapRequest, keyWrapRequest, parseKeyUnwrapAnswer, parseKeyWrapAnswer } from './protocol.js';

export const DEFAULT_KEYPROVIDER_TIMEOUT_MS = 30_000;

export interface KeyProviderOptions {
  providers: KeyProviders | undefined;
  /** The config file they came from, for messages. */
  source?: string | undefined;
  /** Deadline of every provider call; default 30 s. */
  timeoutMs?: number | undefined;
  /** Environment of command providers; default process.env (ocicrypt: inherited). */
  env?: NodeJS.ProcessEnv | undefined;
  signal?: AbortSignal | undefined;
}

/** The configuration of provider `name` (own properties only: a name like `constructor` is just a name). */
export function providerConfig(providers: KeyProviders | undefined, name: string): KeyProviderConfig | undefined {
  return providers && Object.hasOwn(providers, name) ? providers[name] : undefined;
}

export function notConfigured(name: string, source: string | undefined): string {
  return `key provider ${name} is not configured ${source ? `in ${source}` : `(${KEYPROVIDER_CONFIG_ENV} is not set)`}`;
}

async function call(name: string, t: KeyProviderConfig, op: 'keywrap' | 'keyunwrap', request: Buffer, opts: KeyProviderOptions): Promise<Buffer> {
  const who = `key provider ${name}`;
  const callOpts: CallOptions = { timeoutMs: opts.timeoutMs ?? DEFAULT_KEYPROVIDER_TIMEOUT_MS };
  if (opts.signal) callOpts.signal = opts.signal;
  if (opts.env) callOpts.env = opts.env;
  // cmd wins over grpc, as in ocicrypt (our parser refuses configs with both).
  if (t.cmd) return runCommandProvider(who, t.cmd.path, t.cmd.args, request, callOpts);
  if (t.grpc) return callGrpcProvider(who, t.grpc, t.grpcTls, op, request, callOpts);
  throw new ImgsealError('KEY_PROVIDER_ERROR', `${who}: configured with neither cmd nor grpc`);
}

/** Wraps the private options with provider `name`; returns the bytes to store as its annotation entry. */
export async function providerWrap(name: string, params: readonly Uint8Array[], privateOptions: Uint8Array, opts: KeyProviderOptions): Promise<Buffer> {
  const t = providerConfig(opts.providers, name);
  if (!t) throw new ImgsealError('INVALID_RECIPIENT', notConfigured(name, opts.source));
  const answer = await call(name, t, 'keywrap', keyWrapRequest(name, params, privateOptions), opts);
  return parseKeyWrapAnswer(answer, `key provider ${name}`);
}

/**
 * Asks provider `name` to unwrap one annotation entry. Undefined when the
 * provider is not configured or answers "no optsdata".
 */
export async function providerUnwrap(name: string, params: readonly Uint8Array[], entry: Uint8Array, opts: KeyProviderOptions): Promise<Buffer | undefined> {
  const t = providerConfig(opts.providers, name);
  if (!t) return undefined;
  const answer = await call(name, t, 'keyunwrap', keyUnwrapRequest(name, params, entry), opts);
  return parseKeyUnwrapAnswer(answer, `key provider ${name}`);
}
