/**
 * Registries that misbehave on purpose, each a loopback server: one whose error bodies
 * echo the request's Authorization header (no secret reaches the output, debug or not),
 * one that accepts and never answers (one line within the --registry-timeout; Ctrl-C
 * ends a copy waiting on it at once), oversized and garbage WWW-Authenticate headers
 * (reported as what they are), a tag list whose next page points at another host (the
 * host is kept), and --retry-times 0 (accepted: exactly one attempt).
 */
import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { mkdirSync, mkdtempSync, readdirSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { gzipSync } from 'node:zlib';
import { after, test } from 'node:test';
import { CLI_MAIN, REPO_ROOT, errorLines, runCli } from '../testkit/cli.js';
import { rawServer, scriptedRegistry } from '../testkit/hostile-registry.js';

const dir = mkdtempSync(join(tmpdir(), 'imgseal-hostile-'));
after(() => rmSync(dir, { recursive: true, force: true }));

const USER = 'alice';
const PASSWORD = 'Sup3r-Secret-PW';
const TOKEN = 'tok-SECRET-0123456789abcdef';
const REGISTRY_TOKEN = 'rt-SECRET-fedcba9876543210';

function forbiddenForms(): string[] {
  const basic = Buffer.from(`${USER}:${PASSWORD}`).toString('base64');
  return [PASSWORD, basic, basic.replace(/=+$/, ''), TOKEN, REGISTRY_TOKEN, encodeURIComponent(PASSWORD)];
}

function assertNoSecret(output: string, why: string): void {
  for (const s of forbiddenForms()) assert.ok(!output.includes(s), `${why}: ${JSON.stringify(s)} appears in: ${output}`);
}

/** A registry that wants `scheme` auth and answers the manifest with an error body echoing what it received. */
async function echoingRegistry(scheme: 'basic' | 'bearer') {
  return scriptedRegistry((req, res, host) => {
    const auth = req.headers.authorization;
    if (req.url === '/token' || req.url?.startsWith('/token?')) {
      res.writeHead(200, { 'content-type': 'application/json' }).end(JSON.stringify({ token: TOKEN }));
      return;
    }
    if (!auth) {
      const challenge = scheme === 'basic' ? 'Basic realm="echo"' : `Bearer realm="http://${host}/token",service="echo"`;
      res.writeHead(401, { 'www-authenticate': challenge, 'content-type': 'application/json' }).end('{"errors":[{"code":"UNAUTHORIZED","message":"auth first"}]}');
      return;
    }
    if (req.url === '/v2/') {
      res.writeHead(200).end('{}');
      return;
    }
    const decoded = auth.startsWith('Basic ') ? Buffer.from(auth.slice(6), 'base64').toString() : '';
    const message = `you sent "Authorization: ${auth}" (${decoded}) and ${encodeURIComponent(decoded)}`;
    res.writeHead(403, { 'content-type': 'application/json' }).end(JSON.stringify({ errors: [{ code: 'DENIED', message, detail: auth }] }));
  });
}

for (const [name, scheme, flags] of [
  ['Basic credentials', 'basic', ['--creds', `${USER}:${PASSWORD}`]],
  ['a fetched bearer token', 'bearer', ['--creds', `${USER}:${PASSWORD}`]],
  ['a --registry-token', 'bearer', ['--registry-token', REGISTRY_TOKEN]],
] as const) {
  test(`an error body echoing ${name} prints no secret, with or without IMGSEAL_DEBUG`, async () => {
    const reg = await echoingRegistry(scheme);
    try {
      for (const debug of ['', '1']) {
        const r = await runCli(['inspect', '--tls-verify=false', ...flags, `docker://${reg.host}/team/app:v1`], { env: { IMGSEAL_DEBUG: debug } });
        assert.equal(r.code, 1, r.stderr);
        assert.ok(reg.log.some((l) => l.authorization !== undefined), 'the registry did get the Authorization header');
        const first = errorLines(r.stderr)[0] ?? '';
        assert.match(first, /denied: you sent "Authorization: (Basic|Bearer) \[redacted\]"/, first);
        assertNoSecret(r.stderr + r.stdout, `IMGSEAL_DEBUG=${debug}`);
        if (debug) assert.match(r.stderr, /\n\s+at /, 'debug output has the stack');
      }
    } finally {
      await reg.close();
    }
  });
}

test('a registry that accepts and never answers: one line within --registry-timeout', async () => {
  const dead = await rawServer(undefined);
  try {
    const t0 = Date.now();
    const r = await runCli(['inspect', '--tls-verify=false', '--registry-timeout', '1.5', `docker://${dead.host}/app:v1`], { timeoutMs: 60_000 });
    const ms = Date.now() - t0;
    assert.equal(r.code, 1, r.stderr);
    const lines = errorLines(r.stderr);
    assert.equal(lines.length, 1, r.stderr);
    assert.match(lines[0] ?? '', new RegExp(`${dead.host}.*(did not answer|no connection) within 1.5 s`));
    assert.ok(ms < 10_000, `gave up after ${ms} ms`);
  } finally {
    await dead.close();
  }
});

test('--registry-timeout refuses what is not a number of seconds', async () => {
  for (const bad of ['0', '-1', 'soon', '1e9']) {
    const r = await runCli(['inspect', '--registry-timeout', bad, 'docker://127.0.0.1:9/app:v1']);
    assert.equal(r.code, 2, `${bad}: ${r.stderr}`);
  }
});

/** Runs the CLI and sends SIGINT once `ready()` holds (polled; the process is then stuck where the test wants it). */
function stopWhen(args: string[], ready: () => boolean, env: Record<string, string> = {}): Promise<{ signal: NodeJS.Signals | null; code: number | null; stderr: string; afterSignalMs: number }> {
  return new Promise((resolve, reject) => {
    const child = spawn(process.execPath, [CLI_MAIN, ...args], { cwd: REPO_ROOT, stdio: ['ignore', 'ignore', 'pipe'], env: { ...process.env, ...env } });
    let stderr = '';
    let sentAt = 0;
    child.stderr.setEncoding('utf8').on('data', (d: string) => (stderr += d));
    const t = setInterval(() => {
      if (!ready()) return;
      clearInterval(t);
      // A moment more, so the stuck step is under way.
      setTimeout(() => {
        sentAt = Date.now();
        child.kill('SIGINT');
      }, 300);
    }, 50);
    const guard = setTimeout(() => child.kill('SIGKILL'), 60_000);
    child.on('error', reject);
    child.on('close', (code, signal) => {
      clearInterval(t);
      clearTimeout(guard);
      resolve({ signal, code, stderr, afterSignalMs: sentAt ? Date.now() - sentAt : -1 });
    });
  });
}

test('Ctrl-C reaches a registry request that gets no answer (default timeout: 30 s)', async () => {
  const dead = await rawServer(undefined);
  try {
    const r = await stopWhen(['copy', '--src-tls-verify=false', `docker://${dead.host}/app:v1`, `oci:${join(dir, 'never')}:v1`], () => (dead.connections?.() ?? 0) > 0);
    assert.equal(r.signal, 'SIGINT', `ended by ${r.signal ?? `exit ${r.code}`}: ${r.stderr}`);
    assert.ok(r.afterSignalMs >= 0 && r.afterSignalMs < 5_000, `ended ${r.afterSignalMs} ms after Ctrl-C`);
    assert.match(r.stderr, /interrupted \(SIGINT\)/);
  } finally {
    await dead.close();
  }
});

test('Ctrl-C reaches the decompression of a compressed archive', async () => {
  // 64 gzip members of 64 MiB of zeros: a 4 GiB tar from a small file, minutes of work to the end.
  const member = gzipSync(Buffer.alloc(64 << 20), { level: 9 });
  const archive = join(dir, 'zeros.tar.gz');
  writeFileSync(archive, Buffer.concat(Array.from({ length: 64 }, () => member)));
  const tmp = join(dir, 'tmp-decompress');
  mkdirSync(tmp);
  const r = await stopWhen(['copy', `oci-archive:${archive}`, `oci:${join(dir, 'from-zeros')}:v1`], () => readdirSync(tmp).length > 0, { TMPDIR: tmp });
  assert.equal(r.signal, 'SIGINT', `ended by ${r.signal ?? `exit ${r.code}`}: ${r.stderr}`);
  assert.ok(r.afterSignalMs >= 0 && r.afterSignalMs < 3_000, `ended ${r.afterSignalMs} ms after Ctrl-C`);
  assert.match(r.stderr, /interrupted \(SIGINT\)/);
  assert.deepEqual(readdirSync(tmp), [], 'the partial decompressed copy is removed');
});

test('an oversized WWW-Authenticate is reported as such, not as a TLS problem', async () => {
  const raw = `HTTP/1.1 401 Unauthorized\r\nWWW-Authenticate: Bearer realm="${'x'.repeat(64 << 10)}"\r\nContent-Length: 0\r\nConnection: close\r\n\r\n`;
  const srv = await rawServer(raw);
  try {
    const r = await runCli(['inspect', '--tls-verify=false', '--retry-times', '0', `docker://${srv.host}/app:v1`]);
    assert.equal(r.code, 1, r.stderr);
    const line = errorLines(r.stderr).join('\n');
    assert.match(line, /response headers too large/);
    assert.doesNotMatch(line, /HTTP response to HTTPS/);
  } finally {
    await srv.close();
  }
});

test('a garbage WWW-Authenticate (bytes HTTP does not allow) is reported as a malformed response', async () => {
  const raw = Buffer.concat([Buffer.from('HTTP/1.1 401 Unauthorized\r\nWWW-Authenticate: Bearer realm="a'), Buffer.from([0x00, 0x01, 0x7f]), Buffer.from('"\r\nContent-Length: 0\r\n\r\n')]);
  const srv = await rawServer(raw);
  try {
    const r = await runCli(['inspect', '--tls-verify=false', '--retry-times', '0', `docker://${srv.host}/app:v1`]);
    assert.equal(r.code, 1, r.stderr);
    const line = errorLines(r.stderr).join('\n');
    assert.match(line, /malformed HTTP response/);
    assert.doesNotMatch(line, /HTTP response to HTTPS/);
  } finally {
    await srv.close();
  }
});

test('list-tags follows Link rel=next on the same registry only: path and query, never another host', async () => {
  const other = await scriptedRegistry((_req, res) => res.writeHead(200, { 'content-type': 'application/json' }).end('{"name":"app","tags":["evil"]}'));
  const reg = await scriptedRegistry((req, res) => {
    const url = new URL(req.url ?? '/', 'http://x');
    if (url.pathname === '/v2/') return void res.writeHead(200).end('{}');
    if (url.searchParams.get('last') === 'a') return void res.writeHead(200, { 'content-type': 'application/json' }).end('{"name":"app","tags":["b"]}');
    res.writeHead(200, { 'content-type': 'application/json', link: `<http://${other.host}/v2/app/tags/list?last=a&n=1>; rel="next"` }).end('{"name":"app","tags":["a"]}');
  });
  try {
    const r = await runCli(['list-tags', '--tls-verify=false', `docker://${reg.host}/app`]);
    assert.equal(r.code, 0, r.stderr);
    assert.deepEqual((JSON.parse(r.stdout) as { Tags: string[] }).Tags, ['a', 'b']);
    assert.equal(other.log.length, 0, 'the other host was never asked');
  } finally {
    await reg.close();
    await other.close();
  }
});

test('--retry-times 0 is accepted and means one attempt', async () => {
  const reg = await scriptedRegistry((req, res) => {
    if (req.url === '/v2/') return void res.writeHead(200).end('{}');
    res.writeHead(503, { 'content-type': 'application/json' }).end('{"errors":[{"code":"UNAVAILABLE","message":"busy"}]}');
  });
  try {
    const r = await runCli(['inspect', '--tls-verify=false', '--retry-times', '0', `docker://${reg.host}/app:v1`]);
    assert.equal(r.code, 1, r.stderr);
    assert.match(errorLines(r.stderr)[0] ?? '', /unavailable: busy/);
    assert.equal(reg.log.filter((l) => l.url.includes('/manifests/')).length, 1, 'no retry');
  } finally {
    await reg.close();
  }
});
