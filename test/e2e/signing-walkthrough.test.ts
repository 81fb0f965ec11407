/**
 * The README's signing walkthrough, run as written. The commands are read from the
 * README's code block and run one by one in a private sandbox that looks like the
 * machine the walkthrough describes, without touching this one:
 *  - `unshare --mount --net --pid`: /etc, /srv and /var/lib are overlays (writes land in the
 *    test's folder), the network is a fresh loopback where /etc/hosts maps
 *    registry.example.com → 127.0.0.2 and sigs.example.com → 127.0.0.3;
 *  - registry.example.com:443 is Debian's docker-registry with TLS, sigs.example.com:443
 *    a read-only HTTPS server of /srv/sigstore; their test CA is in
 *    /etc/containers/certs.d/<host>/ca.crt (as for any private CA);
 *  - `imgseal` on PATH is the built CLI, HOME is empty (so the /etc defaults apply),
 *    GNUPGHOME holds a key from test/peers/gpg/make-key.sh, whose fingerprint replaces
 *    the README's example one (the only change made to the commands).
 * Each command must exit 0, except those whose comment is an `imgseal: …` line: they
 * must fail with exactly that line. Then skopeo, with the files the walkthrough wrote,
 * rejects the unsigned image too.
 */
import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import { existsSync, mkdirSync, readFileSync, readdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { after, test } from 'node:test';
import { CLI_MAIN, REPO_ROOT } from '../testkit/cli.js';
import { buildLayout } from '../testkit/image-builder.js';
import { isCI, peersDir } from '../testkit/peers.js';
import { requireTool } from '../testkit/tools.js';
import { runTool, workDir } from './helpers.js';

const work = workDir('walkthrough');
const README_FPR = 'BC83425A69C2897EF85EDB69CBE55E801C44403D';
let gpgState: string | undefined;
after(() => {
  if (gpgState) execFileSync('bash', [join(peersDir(), 'gpg', 'stop.sh'), gpgState], { stdio: 'ignore' });
});

interface WalkthroughStep {
  command: string;
  /** The one line a failing command must print (its `# imgseal: …` comment). */
  expectError?: string;
}

/** The commands of the README's walkthrough block: one per line, a heredoc with its body. */
function walkthroughSteps(readme: string): WalkthroughStep[] {
  const at = readme.indexOf('**Walkthrough**');
  assert.ok(at > 0, 'README has the walkthrough');
  const open = readme.indexOf('```sh\n', at) + 6;
  const lines = readme.slice(open, readme.indexOf('\n```', open)).split('\n');
  const steps: WalkthroughStep[] = [];
  for (let i = 0; i < lines.length; i++) {
    const line = lines[i]!;
    if (line.trim() === '' || line.trimStart().startsWith('#')) continue;
    const heredoc = /<<'(\w+)'/.exec(line);
    if (heredoc) {
      const end = lines.indexOf(heredoc[1]!, i + 1);
      assert.ok(end > i, `heredoc ${heredoc[1]} is closed`);
      steps.push({ command: lines.slice(i, end + 1).join('\n') });
      i = end;
      continue;
    }
    const err = /\s#\s(imgseal: .*)$/.exec(line);
    steps.push({ command: line, ...(err ? { expectError: err[1] } : {}) });
  }
  return steps;
}

function makeCerts(dir: string): void {
  mkdirSync(dir, { recursive: true });
  const ossl = (args: string[]): void => void execFileSync('openssl', args, { cwd: dir, stdio: 'pipe' });
  ossl(['req', '-x509', '-newkey', 'ec', '-pkeyopt', 'ec_paramgen_curve:prime256v1', '-nodes', '-keyout', 'ca.key', '-out', 'ca.crt', '-subj', '/CN=walkthrough test CA', '-days', '2']);
  for (const h of ['registry.example.com', 'sigs.example.com']) {
    ossl(['req', '-newkey', 'ec', '-pkeyopt', 'ec_paramgen_curve:prime256v1', '-nodes', '-keyout', `${h}.key`, '-out', `${h}.csr`, '-subj', `/CN=${h}`]);
    writeFileSync(join(dir, `${h}.ext`), `subjectAltName=DNS:${h}\nextendedKeyUsage=serverAuth\n`);
    ossl(['x509', '-req', '-in', `${h}.csr`, '-CA', 'ca.crt', '-CAkey', 'ca.key', '-CAcreateserial', '-out', `${h}.crt`, '-days', '2', '-extfile', `${h}.ext`]);
  }
}

test('the README signing walkthrough works as written (registry and web server on TLS, /etc paths, skopeo agrees)', { timeout: 180_000 }, async (t) => {
  for (const tool of ['gpg', 'skopeo', 'unshare', 'docker-registry']) if (!requireTool(tool, t)) return;
  if (process.getuid?.() !== 0) {
    if (isCI()) throw new Error('the walkthrough sandbox needs root (mount and network namespaces); CI=true runs as root');
    t.skip('needs root for the mount and network namespaces');
    return;
  }
  const W = work.root;
  const steps = walkthroughSteps(readFileSync(join(REPO_ROOT, 'README.md'), 'utf8'));
  assert.ok(steps.length >= 10, `walkthrough steps found: ${steps.length}`);

  gpgState = join(W, 'gpg');
  mkdirSync(gpgState);
  execFileSync('bash', [join(peersDir(), 'gpg', 'make-key.sh'), gpgState, 'walkthrough@example.test'], { stdio: 'pipe' });
  const fpr = readFileSync(join(gpgState, 'fingerprint'), 'utf8').trim();
  const cwd = join(W, 'cwd');
  await buildLayout(join(cwd, 'app'), [{ files: { 'app.txt': 'walkthrough\n' }, compression: 'gzip' }], { ref: 'v1' });
  makeCerts(join(W, 'pki'));
  for (const d of ['ov/etc-u', 'ov/etc-w', 'ov/srv-u', 'ov/srv-w', 'ov/var-u', 'ov/var-w', 'home', 'bin', 'steps', 'reg']) mkdirSync(join(W, d), { recursive: true });
  writeFileSync(join(W, 'bin', 'imgseal'), `#!/bin/sh\nexec ${process.execPath} ${CLI_MAIN} "$@"\n`, { mode: 0o755 });
  writeFileSync(join(W, 'auth.json'), '{}');
  writeFileSync(
    join(W, 'registry.yml'),
    `version: 0.1\nlog:\n  level: warn\nstorage:\n  filesystem:\n    rootdirectory: ${W}/reg\nhttp:\n  addr: 127.0.0.2:443\n  secret: walkthrough\n  tls:\n    certificate: ${W}/pki/registry.example.com.crt\n    key: ${W}/pki/registry.example.com.key\n`,
  );
  const lookasideJs = new URL('../testkit/lookaside-server.js', import.meta.url).href;
  writeFileSync(
    join(W, 'web.mjs'),
    `import { appendFileSync, readFileSync } from 'node:fs';\nconst { serveReadOnly } = await import(${JSON.stringify(lookasideJs)});\n` +
      `const s = await serveReadOnly('/srv/sigstore', { host: '127.0.0.3', port: 443, tls: { cert: readFileSync('${W}/pki/sigs.example.com.crt'), key: readFileSync('${W}/pki/sigs.example.com.key') } });\n` +
      `s.server.on('request', (req) => appendFileSync('${W}/web.log', req.method + ' ' + req.url + '\\n'));\n`,
  );
  const all: WalkthroughStep[] = [
    ...steps.map((s) => ({ ...s, command: s.command.replaceAll(README_FPR, fpr) })),
    // skopeo, with the files the walkthrough wrote, refuses the unsigned image too.
    { command: 'skopeo copy docker://registry.example.com/prod/unsigned:v1 dir:./unsigned-by-skopeo' },
  ];
  all.forEach((s, i) => writeFileSync(join(W, 'steps', `${i}.sh`), `${s.command}\n`));
  const sandbox = `# Any failure of the set-up (an overlay that cannot be mounted) stops before a step runs.
set -eu
W=${W}
mount -t overlay overlay -o lowerdir=/etc,upperdir=$W/ov/etc-u,workdir=$W/ov/etc-w /etc
mount -t overlay overlay -o lowerdir=/srv,upperdir=$W/ov/srv-u,workdir=$W/ov/srv-w /srv
# /var/lib too: root's default lookaside is /var/lib/containers/sigstore
mount -t overlay overlay -o lowerdir=/var/lib,upperdir=$W/ov/var-u,workdir=$W/ov/var-w /var/lib
# the new network namespace's loopback starts down (ip is not on every machine: an ioctl then)
if command -v ip >/dev/null; then ip link set lo up; else
  python3 -c 'import socket, fcntl, struct; fcntl.ioctl(socket.socket(socket.AF_INET, socket.SOCK_DGRAM), 0x8914, struct.pack("16sH22x", b"lo", 0x9))'
fi
printf '127.0.0.2 registry.example.com\\n127.0.0.3 sigs.example.com\\n' >>/etc/hosts
for h in registry.example.com sigs.example.com; do mkdir -p /etc/containers/certs.d/$h; cp $W/pki/ca.crt /etc/containers/certs.d/$h/; done
env -i PATH="$PATH" docker-registry serve $W/registry.yml >$W/registry.log 2>&1 &
${process.execPath} $W/web.mjs >$W/web.out 2>&1 &
for i in $(seq 100); do
  curl -sf --cacert $W/pki/ca.crt https://registry.example.com/v2/ >/dev/null && curl -s --cacert $W/pki/ca.crt -o /dev/null https://sigs.example.com/ && break
  sleep 0.1
done
cd $W/cwd
export HOME=$W/home GNUPGHOME=${gpgState}/gnupg PATH=$W/bin:$PATH REGISTRY_AUTH_FILE=$W/auth.json
unset XDG_RUNTIME_DIR XDG_CONFIG_HOME DOCKER_CONFIG CONTAINERS_REGISTRIES_CONF REGISTRIES_CONFIG_PATH
for i in $(seq 0 ${all.length - 1}); do
  if bash -e $W/steps/$i.sh >$W/steps/$i.out 2>$W/steps/$i.err; then echo 0; else echo $?; fi >$W/steps/$i.rc
done
`;
  writeFileSync(join(W, 'sandbox.sh'), sandbox);
  const r = await runTool('unshare', ['--mount', '--net', '--pid', '--fork', '--kill-child', '--mount-proc', '--propagation', 'private', 'bash', join(W, 'sandbox.sh')], { timeoutMs: 150_000 });
  assert.equal(r.code, 0, `sandbox: ${r.stderr}`);

  const sigstore = join(W, 'ov/srv-u/sigstore/prod');
  // Every step is judged, so one run shows all that is wrong with the README.
  const problems: string[] = [];
  all.forEach((s, i) => {
    const rc = Number(readFileSync(join(W, 'steps', `${i}.rc`), 'utf8'));
    const err = readFileSync(join(W, 'steps', `${i}.err`), 'utf8');
    const lines = err.split('\n').filter((l) => l.trim());
    const what = `step ${i}: ${s.command.split('\n')[0]}`;
    if (i === all.length - 1) {
      if (rc !== 1 || !/Source image rejected: A signature was required, but no signature exists/.test(err)) problems.push(`${what}: skopeo must reject the unsigned image (exit ${rc}: ${err})`);
    } else if (s.expectError) {
      if (rc !== 1 || lines.length !== 1 || lines[0] !== s.expectError) problems.push(`${what}: expected exit 1 and only "${s.expectError}", got exit ${rc}: ${err}`);
    } else if (rc !== 0) {
      problems.push(`${what}: exit ${rc}: ${err}`);
    }
  });
  assert.deepEqual(problems, [], problems.join('\n'));
  // What the walkthrough promises: the staged signature, read back through the web server.
  const signed = readdirSync(sigstore).filter((d) => d.startsWith('app@sha256='));
  assert.equal(signed.length, 1, 'one signed manifest of prod/app in /srv/sigstore');
  assert.ok(existsSync(join(sigstore, signed[0]!, 'signature-1')));
  const web = readFileSync(join(W, 'web.log'), 'utf8');
  assert.ok(web.includes(`GET /prod/${signed[0]}/signature-1`), `signatures were read from https://sigs.example.com: ${web}`);
  assert.ok(existsSync(join(cwd, 'pulled', 'index.json')), 'the signed image was pulled');
  assert.equal(existsSync(join(cwd, 'x')), false, 'the rejected copy wrote nothing');
  assert.ok(existsSync(join(cwd, 'pulled-by-skopeo', 'signature-1')), 'skopeo accepted the signed image and kept its signature');
  // The machine itself is untouched.
  assert.equal(existsSync('/etc/containers/registries.d/prod.yaml'), false);
  assert.equal(existsSync('/srv/sigstore'), false);
  assert.equal(existsSync('/var/lib/containers/sigstore/prod'), false);
});
