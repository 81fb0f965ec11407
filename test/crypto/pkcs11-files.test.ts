// ocicrypt's PKCS#11 files, parsed strictly: key files, the OCICRYPT_CONFIG
// policy, RFC 7512 URIs, the module allow-list and OCICRYPT_OAEP_HASHALG.
import assert from 'node:assert/strict';
import { mkdtempSync, mkdirSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { test } from 'node:test';
import { isAllowedModule, loadPkcs11Policy, parsePkcs11Policy, resolveModule } from '../../src/crypto/wrap/pkcs11/config.js';
import { isPkcs11KeyFileText, parsePkcs11KeyFile } from '../../src/crypto/wrap/pkcs11/key-file.js';
import { oaepHashFromEnv } from '../../src/crypto/wrap/pkcs11/oaep.js';
import { parsePkcs11Uri } from '../../src/crypto/wrap/pkcs11/uri.js';
import { pkcs11Scheme } from '../../src/crypto/wrap/pkcs11/index.js';
import { isImgsealError } from '../../src/errors.js';

const URI = 'pkcs11:token=my%20token;object=k1;id=%01%fe;type=private?module-name=softhsm2&pin-value=s3cr3t';

function fails(fn: () => unknown, code: string, re: RegExp): void {
  assert.throws(fn, (err: unknown) => isImgsealError(err) && err.code === code && re.test(err.message) && !err.message.includes('s3cr3t'));
}

test('pkcs11 URIs: attributes decoded, PIN redacted, malformed ones refused', () => {
  const u = parsePkcs11Uri(URI);
  assert.equal(u.path.get('token'), 'my token');
  assert.deepEqual(Buffer.from(u.path.get('id') ?? '', 'latin1'), Buffer.from([1, 0xfe]));
  assert.equal(u.query.get('pin-value'), 's3cr3t');
  assert.equal(u.redacted.includes('s3cr3t'), false);
  fails(() => parsePkcs11Uri('pkcs:token=a;object=b'), 'INVALID_KEY', /missing pkcs11: prefix/);
  fails(() => parsePkcs11Uri('pkcs11:token=a;token=b;object=c'), 'INVALID_KEY', /duplicate path attribute token/);
  fails(() => parsePkcs11Uri('pkcs11:token=a;object=c?pin-value=s3cr3t&pin-source=/x'), 'INVALID_KEY', /both pin-source and pin-value/);
  fails(() => parsePkcs11Uri('pkcs11:token=a?module-path=/lib.so'), 'INVALID_KEY', /neither 'id' nor 'object'/);
  fails(() => parsePkcs11Uri('pkcs11:object=a?pin-value=s3cr3t'), 'INVALID_KEY', /neither 'token' nor 'slot-id'/);
  fails(() => parsePkcs11Uri('pkcs11:token=a;object=b?module-path=relative.so'), 'INVALID_KEY', /must be absolute/);
  fails(() => parsePkcs11Uri('pkcs11:token=a;object=%zz'), 'INVALID_KEY', /bad percent-encoding in object/);
});

test('pkcs11 key files: ocicrypt\'s YAML, strict about fields, types and duplicates', () => {
  const good = `pkcs11:\n  uri: "${URI}"\nmodule:\n  env:\n    SOFTHSM2_CONF: /x/softhsm2.conf\n`;
  assert.ok(isPkcs11KeyFileText(good));
  assert.equal(isPkcs11KeyFileText('-----BEGIN PUBLIC KEY-----\n'), false);
  const k = parsePkcs11KeyFile(good, 'k.yaml');
  assert.deepEqual(k.env, { SOFTHSM2_CONF: '/x/softhsm2.conf' });
  assert.equal(k.uri.path.get('object'), 'k1');
  fails(() => parsePkcs11KeyFile(`pkcs11:\n  uri: "${URI}"\n  url: x\n`, 'k.yaml'), 'INVALID_KEY', /^k\.yaml: unknown field pkcs11\.url/);
  fails(() => parsePkcs11KeyFile(`pkcs11:\n  uri: "${URI}"\nmodules: {}\n`, 'k.yaml'), 'INVALID_KEY', /^k\.yaml: unknown field modules/);
  fails(() => parsePkcs11KeyFile(`pkcs11:\n  uri: "${URI}"\n  uri: "${URI}"\n`, 'k.yaml'), 'INVALID_KEY', /^k\.yaml: not valid YAML: .*[Uu]nique/);
  fails(() => parsePkcs11KeyFile(`pkcs11:\n  uri: [a]\n`, 'k.yaml'), 'INVALID_KEY', /pkcs11\.uri must be a string/);
  fails(() => parsePkcs11KeyFile(`pkcs11:\n  uri: "${URI}"\nmodule:\n  env:\n    BAD-NAME: x\n`, 'k.yaml'), 'INVALID_KEY', /module\.env: "BAD-NAME" is not an environment variable name/);
  fails(() => parsePkcs11KeyFile(`pkcs11:\n  uri: "pkcs11:token=a"\n`, 'k.yaml', 'INVALID_RECIPIENT'), 'INVALID_RECIPIENT', /^k\.yaml: pkcs11 URI: neither 'id' nor 'object'/);
});

test('OCICRYPT_CONFIG: found like ocicrypt, parsed strictly; the allow-list and module-name search', () => {
  const dir = mkdtempSync(join(tmpdir(), 'p11conf-'));
  const conf = join(dir, 'ocicrypt.conf');
  writeFileSync(conf, 'pkcs11:\n  module-directories:\n    - /m/\n  allowed-module-paths:\n    - /m/libgood.so\n    - /d/\n');
  const p = loadPkcs11Policy({ OCICRYPT_CONFIG: conf });
  assert.deepEqual(p.moduleDirectories, ['/m/']);
  assert.ok(isAllowedModule(p, '/m/libgood.so'));
  assert.ok(isAllowedModule(p, '/d/libany.so'));
  assert.equal(isAllowedModule(p, '/d/sub/libany.so'), false, 'no subdirectories of an allowed directory');
  assert.equal(isAllowedModule(p, '/m/libother.so'), false);
  assert.equal(isAllowedModule({ ...p, allowedModulePaths: [] }, '/m/libgood.so'), false, 'an empty list allows nothing');
  // XDG, then HOME/.config.
  mkdirSync(join(dir, '.config'));
  writeFileSync(join(dir, '.config', 'ocicrypt.conf'), 'pkcs11: {module-directories: [/h/], allowed-module-paths: [/h/]}\n');
  assert.equal(loadPkcs11Policy({ HOME: dir }).source, join(dir, '.config', 'ocicrypt.conf'));
  assert.equal(loadPkcs11Policy({ XDG_CONFIG_HOME: dir, HOME: dir }).source, conf);
  assert.ok(loadPkcs11Policy({ OCICRYPT_CONFIG: 'internal' }).moduleDirectories.includes('/usr/lib/softhsm/'));
  fails(() => parsePkcs11Policy('pkcs11:\n  allowed-module-path: [/x]\n', 'c.conf'), 'INVALID_ARGUMENT', /^c\.conf: unknown field pkcs11\.allowed-module-path /);
  fails(() => parsePkcs11Policy('module-directories: [/x]\n', 'c.conf'), 'INVALID_ARGUMENT', /^c\.conf: unknown field module-directories/);
  fails(() => parsePkcs11Policy('pkcs11:\n  module-directories: /x\n', 'c.conf'), 'INVALID_ARGUMENT', /must be a list of strings/);
  // module-name: libsofthsm2.so matches softhsm2, not softhsm; the first allowed file wins.
  const mods = join(dir, 'mods');
  mkdirSync(mods);
  for (const f of ['libsofthsm2x.so', 'libsofthsm2.so']) writeFileSync(join(mods, f), '');
  const policy = { source: 'test', moduleDirectories: [mods], allowedModulePaths: [`${mods}/`] };
  assert.equal(resolveModule(parsePkcs11Uri('pkcs11:token=a;object=b?module-name=SoftHSM2'), policy), join(mods, 'libsofthsm2.so'));
  fails(() => resolveModule(parsePkcs11Uri('pkcs11:token=a;object=b?module-name=softhsm'), policy), 'PKCS11_MODULE_NOT_ALLOWED', /no module named 'softhsm'/);
  fails(() => resolveModule(parsePkcs11Uri(`pkcs11:token=a;object=b?module-path=${mods}/libsofthsm2x.so`), { ...policy, allowedModulePaths: [join(mods, 'libsofthsm2.so')] }), 'PKCS11_MODULE_NOT_ALLOWED', /is not allowed by policy \(test: allowed-module-paths\)/);
});

test('OCICRYPT_OAEP_HASHALG: SHA-1 by default (as ocicrypt\'s code), sha256 on request, others refused', () => {
  assert.equal(oaepHashFromEnv({}), 'sha1');
  assert.equal(oaepHashFromEnv({ OCICRYPT_OAEP_HASHALG: 'SHA1' }), 'sha1');
  assert.equal(oaepHashFromEnv({ OCICRYPT_OAEP_HASHALG: 'sha256' }), 'sha256');
  fails(() => oaepHashFromEnv({ OCICRYPT_OAEP_HASHALG: 'sha512' }), 'INVALID_ARGUMENT', /OCICRYPT_OAEP_HASHALG=sha512: unsupported OAEP hash/);
});

test('recipients remove cannot name a pkcs11 recipient (entries carry no id): refused before anything is read', async () => {
  await assert.rejects(pkcs11Scheme.parseRecipient('/nonexistent.yaml', { config: { env: {} }, purpose: 'match' }), (err: unknown) =>
    isImgsealError(err) && err.code === 'INVALID_RECIPIENT' && /cannot be removed; use `imgseal recipients rotate`/.test(err.message));
});
