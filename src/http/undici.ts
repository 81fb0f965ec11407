/**
 * The two pieces of undici this transport uses, an `Agent` and `request()`, loaded
 * without the rest of the package. `import 'undici'` also loads fetch, WebSocket,
 * the caches and the mocks: about 35 ms of every CLI run, a tenth of a small pull.
 * undici 7 ships no `exports` map, so its CommonJS modules can be required directly.
 * Should a later 7.x move them, the package entry is used instead (slower, same
 * behaviour); test/http/undici.test.ts fails if that fallback is taken.
 */
import { createRequire } from 'node:module';
import type { Agent as UndiciAgent, Dispatcher } from 'undici';

type AgentClass = typeof UndiciAgent;
type RequestOptions = Omit<Dispatcher.RequestOptions, 'origin' | 'path' | 'method'> & { method?: Dispatcher.HttpMethod };
type RawRequest = (this: Dispatcher, opts: Dispatcher.RequestOptions) => Promise<Dispatcher.ResponseData>;

interface UndiciParts {
  Agent: AgentClass;
  request: RawRequest;
  /** 'lean' when the deep modules loaded; 'package' after the fallback. */
  loadedFrom: 'lean' | 'package';
}

let parts: UndiciParts | undefined;

function load(): UndiciParts {
  if (parts) return parts;
  const require = createRequire(import.meta.url);
  try {
    parts = {
      Agent: require('undici/lib/dispatcher/agent') as AgentClass,
      request: (require('undici/lib/api') as { request: RawRequest }).request,
      loadedFrom: 'lean',
    };
  } catch {
    const undici = require('undici') as { Agent: AgentClass; Dispatcher: { prototype: { request: RawRequest } } };
    parts = { Agent: undici.Agent, request: undici.Dispatcher.prototype.request, loadedFrom: 'package' };
  }
  return parts;
}

/** undici's Agent class. */
export function agentClass(): AgentClass {
  return load().Agent;
}

/** Which way undici was loaded (for the test that guards the fast path). */
export function undiciLoadedFrom(): 'lean' | 'package' {
  return load().loadedFrom;
}

/**
 * `undici.request(url, { ...opts, dispatcher })` without the package entry: the same
 * origin/path split and default method as undici's own wrapper.
 */
export function httpRequest(dispatcher: Dispatcher, url: string | URL, opts: RequestOptions): Promise<Dispatcher.ResponseData> {
  const u = typeof url === 'string' ? new URL(url) : url;
  return load().request.call(dispatcher, {
    ...opts,
    origin: u.origin,
    path: u.search ? `${u.pathname}${u.search}` : u.pathname,
    method: opts.method ?? (opts.body ? 'PUT' : 'GET'),
  });
}
