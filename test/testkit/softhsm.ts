/**
 * A private SoftHSM token for a test file (test/peers/softhsm/init-token.sh):
 * created in a before hook, deleted in an after hook. Outside CI a machine
 * without softhsm2 skips the tests with the reason; under CI=true that fails.
 */
import { execFile } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, type TestContext } from 'node:test';
import { isCI, peersDir } from './peers.js';

export interface SoftHsmToken {
  state: string;
  module: string;
  softhsmConf: string;
  pin: string;
  pubkeyPem: string;
  ocicryptConfig: string;
  pubYaml: string;
  privYaml: string;
  tokenLabel: string;
  keyLabel: string;
  raw: Record<string, string>;
}

function run(script: string, args: string[]): Promise<void> {
  return new Promise((resolve, reject) => {
    execFile(script, args, { timeout: 120_000, maxBuffer: 4 << 20 }, (err, _out, stderr) => {
      if (err) reject(new Error(`${script} failed: ${err.message}\n${String(stderr).split('\n').slice(-10).join('\n')}`));
      else resolve();
    });
  });
}

export function useSoftHsmToken(): { get(t: TestContext): SoftHsmToken | undefined; made(): SoftHsmToken | undefined } {
  let token: SoftHsmToken | undefined;
  let reason: string | undefined;
  let state: string | undefined;
  before(async () => {
    state = mkdtempSync(join(tmpdir(), 'hsm-'));
    try {
      await run(join(peersDir(), 'softhsm', 'init-token.sh'), [state]);
      const raw = JSON.parse(readFileSync(join(state, 'peer.json'), 'utf8')) as Record<string, string>;
      const get = (k: string): string => {
        const v = raw[k];
        if (v === undefined) throw new Error(`softhsm peer.json has no ${k}`);
        return v;
      };
      token = {
        state,
        module: get('PKCS11_MODULE'),
        softhsmConf: get('SOFTHSM2_CONF'),
        pin: get('PKCS11_USER_PIN'),
        pubkeyPem: get('PKCS11_PUBKEY_PEM'),
        ocicryptConfig: get('OCICRYPT_CONFIG'),
        pubYaml: get('PKCS11_PUB_YAML'),
        privYaml: get('PKCS11_PRIV_YAML'),
        tokenLabel: get('PKCS11_TOKEN_LABEL'),
        keyLabel: get('PKCS11_KEY_LABEL'),
        raw,
      };
    } catch (err) {
      reason = `softhsm token could not be made: ${(err as Error).message}`;
      if (isCI()) throw new Error(`${reason} (CI=true: a missing peer is a failure, not a skip)`);
    }
  }, { timeout: 180_000 });
  after(async () => {
    if (state) await run(join(peersDir(), 'softhsm', 'stop.sh'), [state, '--clean']).catch(() => rmSync(state as string, { recursive: true, force: true }));
  }, { timeout: 60_000 });
  return {
    /** The token, for later before hooks (undefined when it could not be made). */
    made: () => token,
    get(t: TestContext): SoftHsmToken | undefined {
      if (token) return token;
      t.skip(reason ?? 'softhsm token not made');
      return undefined;
    },
  };
}

/**
 * Adds an AES-256 secret key (encrypt/decrypt, never extractable) to the token with
 * OpenSC's pkcs11-tool, as an administrator would make a KMS wrapping key.
 */
export function addAesKey(token: SoftHsmToken, label: string, idHex: string): Promise<void> {
  return new Promise((resolve, reject) => {
    execFile(
      'pkcs11-tool',
      ['--module', token.module, '--token-label', token.tokenLabel, '--login', '--pin', token.pin, '--keygen', '--key-type', 'aes:32', '--label', label, '--id', idHex],
      { timeout: 60_000, env: { ...process.env, SOFTHSM2_CONF: token.softhsmConf } },
      (err, _out, stderr) => (err ? reject(new Error(`pkcs11-tool --keygen failed: ${err.message}\n${String(stderr)}`)) : resolve()),
    );
  });
}
