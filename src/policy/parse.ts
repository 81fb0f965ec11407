/**
 * Strict policy.json parsing (spec §3.2): unknown fields, duplicate keys, wrong types,
 * empty requirement lists and trailing data are errors that name the field and the
 * file, in one line (`invalid policy in "FILE": …`, as containers/image).
 */
import { ImgsealError } from '../errors.js';
import { parseStrictJsonAs } from '../util/strict-json.js';
import type { KeySource, Policy, PolicyRequirement, SignedIdentity } from './types.js';

type Obj = Record<string, unknown>;

class Ctx {
  constructor(readonly file: string) {}
  fail(why: string): never {
    throw new ImgsealError('POLICY_INVALID', `invalid policy in "${this.file}": ${why}`);
  }
  obj(v: unknown, where: string): Obj {
    if (typeof v !== 'object' || v === null || Array.isArray(v)) this.fail(`${where} must be a JSON object`);
    return v as Obj;
  }
  only(o: Obj, allowed: string[], where: string): void {
    for (const k of Object.keys(o)) if (!allowed.includes(k)) this.fail(`Unknown key "${k}" in ${where}`);
  }
  str(v: unknown, where: string): string {
    if (typeof v !== 'string') this.fail(`${where} must be a string`);
    return v;
  }
}

export function parsePolicy(text: string, file: string): Policy {
  const c = new Ctx(file);
  const doc = c.obj(parseStrictJsonAs(text, `invalid policy in "${file}"`, 'POLICY_INVALID'), 'the policy');
  c.only(doc, ['default', 'transports'], 'the policy');
  if (doc.default === undefined) c.fail('Default policy is missing');
  const policy: Policy = { source: file, default: requirements(c, doc.default, 'default'), transports: {} };
  if (doc.transports !== undefined && doc.transports !== null) {
    const ts = c.obj(doc.transports, 'transports');
    for (const [name, scopes] of Object.entries(ts)) {
      const s = c.obj(scopes, `transports.${name}`);
      const out: Record<string, PolicyRequirement[]> = {};
      for (const [scope, reqs] of Object.entries(s)) {
        validateScope(c, name, scope);
        out[scope] = requirements(c, reqs, `transports.${name}["${scope}"]`);
      }
      policy.transports[name] = out;
    }
  }
  return policy;
}

/** Path transports take absolute clean paths other than "/"; archives only "" (spec §3.2). */
function validateScope(c: Ctx, transport: string, scope: string): void {
  if (scope === '') return;
  if (['dir', 'oci', 'oci-archive', 'sif'].includes(transport)) {
    const clean = scope.startsWith('/') && scope !== '/' && !/\/\.{0,2}(\/|$)|\/\//.test(scope) && !scope.endsWith('/');
    if (!clean) c.fail(`Unknown key "${scope}" in transports.${transport}: a scope must be an absolute, clean path other than "/"`);
  } else if (['docker-archive', 'tarball'].includes(transport)) {
    c.fail(`Unknown key "${scope}" in transports.${transport}: only the "" scope is supported`);
  }
}

function requirements(c: Ctx, v: unknown, where: string): PolicyRequirement[] {
  if (!Array.isArray(v)) c.fail(`${where} must be a list of requirements`);
  if (v.length === 0) c.fail(`${where}: List of verification policy requirements must not be empty`);
  return v.map((r, i) => requirement(c, r, `${where}[${i}]`));
}

function requirement(c: Ctx, v: unknown, where: string): PolicyRequirement {
  const o = c.obj(v, where);
  const type = c.str(o.type, `${where}.type`);
  switch (type) {
    case 'insecureAcceptAnything':
    case 'reject':
      c.only(o, ['type'], `${where} (${type})`);
      return { type };
    case 'signedBaseLayer':
      c.only(o, ['type', 'baseLayerIdentity'], `${where} (signedBaseLayer)`);
      if (o.baseLayerIdentity === undefined) c.fail(`${where}.baseLayerIdentity is missing`);
      identity(c, o.baseLayerIdentity, `${where}.baseLayerIdentity`);
      return { type };
    case 'signedBy': {
      c.only(o, ['type', 'keyType', 'keyPath', 'keyPaths', 'keyData', 'signedIdentity'], `${where} (signedBy)`);
      const keyType = c.str(o.keyType ?? '', `${where}.keyType`);
      if (!['GPGKeys', 'signedByGPGKeys', 'X509Certificates', 'signedByX509CAs'].includes(keyType)) c.fail(`${where}: invalid keyType "${keyType}"`);
      const keys = keySource(c, o, where, true) as KeySource;
      return { type, keyType, keys, signedIdentity: o.signedIdentity === undefined ? { type: 'matchRepoDigestOrExact' } : identity(c, o.signedIdentity, `${where}.signedIdentity`) };
    }
    case 'sigstoreSigned': {
      const known = ['type', 'keyPath', 'keyPaths', 'keyData', 'keyDatas', 'fulcio', 'pki', 'rekorPublicKeyPath', 'rekorPublicKeyPaths', 'rekorPublicKeyData', 'rekorPublicKeyDatas', 'signedIdentity'];
      c.only(o, known, `${where} (sigstoreSigned)`);
      const modes = ['keyPath', 'keyPaths', 'keyData', 'keyDatas', 'fulcio', 'pki'].filter((k) => o[k] !== undefined);
      if (modes.length !== 1) c.fail(`${where}: exactly one of keyPath, keyPaths, keyData, keyDatas, fulcio and pki must be specified`);
      const signedIdentity = o.signedIdentity === undefined ? ({ type: 'matchRepoDigestOrExact' } as const) : identity(c, o.signedIdentity, `${where}.signedIdentity`);
      const mode = modes[0] as string;
      if (['keyDatas', 'fulcio', 'pki'].includes(mode) || Object.keys(o).some((k) => k.startsWith('rekor'))) {
        return { type, keys: undefined, signedIdentity, unsupported: `${mode}${Object.keys(o).some((k) => k.startsWith('rekor')) ? ' with Rekor' : ''}` };
      }
      return { type, keys: keySource(c, o, where, true), signedIdentity };
    }
    default:
      c.fail(`${where}: unknown policy requirement type "${type}"`);
  }
}

function keySource(c: Ctx, o: Obj, where: string, required: boolean): KeySource | undefined {
  const set = ['keyPath', 'keyPaths', 'keyData'].filter((k) => o[k] !== undefined);
  if (set.length > 1) c.fail(`${where}: keyPath, keyPaths and keyData cannot be combined`);
  if (set.length === 0) {
    if (required) c.fail(`${where}: one of keyPath, keyPaths and keyData must be specified`);
    return undefined;
  }
  if (o.keyPath !== undefined) return { keyPath: c.str(o.keyPath, `${where}.keyPath`) };
  if (o.keyPaths !== undefined) {
    if (!Array.isArray(o.keyPaths) || o.keyPaths.length === 0) c.fail(`${where}.keyPaths must be a non-empty list of strings`);
    return { keyPaths: o.keyPaths.map((p, i) => c.str(p, `${where}.keyPaths[${i}]`)) };
  }
  const data = c.str(o.keyData, `${where}.keyData`);
  if (!/^[A-Za-z0-9+/]*={0,2}$/.test(data) || data.length % 4 !== 0) c.fail(`${where}.keyData is not base64`);
  return { keyData: data };
}

function identity(c: Ctx, v: unknown, where: string): SignedIdentity {
  const o = c.obj(v, where);
  const type = c.str(o.type, `${where}.type`);
  switch (type) {
    case 'matchExact':
    case 'matchRepoDigestOrExact':
    case 'matchRepository':
      c.only(o, ['type'], `${where} (${type})`);
      return { type };
    case 'exactReference':
      c.only(o, ['type', 'dockerReference'], `${where} (exactReference)`);
      return { type, dockerReference: c.str(o.dockerReference, `${where}.dockerReference`) };
    case 'exactRepository':
      c.only(o, ['type', 'dockerRepository'], `${where} (exactRepository)`);
      return { type, dockerRepository: c.str(o.dockerRepository, `${where}.dockerRepository`) };
    case 'remapIdentity':
      c.only(o, ['type', 'prefix', 'signedPrefix'], `${where} (remapIdentity)`);
      return { type, prefix: c.str(o.prefix, `${where}.prefix`), signedPrefix: c.str(o.signedPrefix, `${where}.signedPrefix`) };
    default:
      c.fail(`${where}: unknown signedIdentity type "${type}"`);
  }
}
