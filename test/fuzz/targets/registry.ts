/** What registries and auth files hand us: WWW-Authenticate, Link, auth.json / config.json. */
import fc from 'fast-check';
import { parseChallenges } from '../../../src/http/challenge.js';
import { candidateKeys, findAuthEntry, parseAuthFileText } from '../../../src/http/auth-file.js';
import { credentialFromEntry } from '../../../src/http/credentials.js';
import { nextPage } from '../../../src/transports/docker/tags.js';
import { mutatedJson } from '../arbitraries/json.js';
import { base64Of, edited } from '../arbitraries/text.js';
import { defineTarget } from '../harness/target.js';

const token = fc.oneof(fc.constantFrom('Bearer', 'Basic', 'bearer', 'realm', 'service', 'scope', 'error', 'Digest', 'Negotiate'), fc.stringMatching(/^[!#$%&'*+.^_`|~0-9A-Za-z-]{1,12}$/));
const quotedValue = fc.oneof(fc.string({ maxLength: 30 }), fc.constantFrom('https://auth.example/token', 'repository:a/b:pull,push', '\\"', '\\', 'a\\"b')).map((v) => `"${v}"`);
const param = fc.tuple(token, fc.constantFrom('=', ' = ', '='), fc.oneof(quotedValue, token, fc.constant(''), fc.constant('"unterminated'))).map(([k, eq, v]) => `${k}${eq}${v}`);
const challenge = fc.tuple(token, fc.array(param, { maxLength: 5 }), fc.constantFrom(',', ', ', ' ,', ',,')).map(([s, ps, sep]) => `${s} ${ps.join(sep)}`);
const challengeHeader = fc.oneof(
  { weight: 4, arbitrary: fc.array(challenge, { minLength: 1, maxLength: 3 }).map((cs) => cs.join(', ')) },
  { weight: 2, arbitrary: edited(fc.constant('Bearer realm="https://auth.docker.io/token",service="registry.docker.io",scope="repository:library/alpine:pull"')) },
  { weight: 1, arbitrary: fc.string({ unit: 'binary', maxLength: 200 }) },
  { weight: 1, arbitrary: fc.integer({ min: 1000, max: 200_000 }).map((n) => `Bearer realm="${'x'.repeat(n)}`) },
  { weight: 1, arbitrary: fc.integer({ min: 1000, max: 100_000 }).map((n) => `${'\\'.repeat(n)}"`) },
);

export const challengeTarget = defineTarget({
  name: 'www-authenticate',
  about: 'parseChallenges of WWW-Authenticate values (one or several headers)',
  codes: [],
  ciRuns: 900,
  arbitrary: fc.oneof(challengeHeader, fc.array(challengeHeader, { maxLength: 3 }), fc.constant(undefined)),
  open: async () => ({ run: (h: string | string[] | undefined) => parseChallenges(h) }),
});

const urlLike = fc.oneof(
  fc.constantFrom('/v2/a/tags/list?n=2&last=b', '/v2/a/tags/list?last=b', 'https://other.example/v2/a/tags/list?n=1', '//other.example/x', 'http://[', 'http://[::1', 'https://a:b@c/d', 'http://%zz/', 'javascript:alert(1)', '', '?last=x', 'file:///etc/passwd', 'http://127.0.0.1:99999/x', 'https://xn--/x'),
  fc.webUrl({ withQueryParameters: true }),
  fc.string({ maxLength: 40 }),
);
const relPart = fc.oneof(fc.constantFrom(' rel="next"', 'rel=next', ' rel="prev"', ' rel="next"; type="x"', ' rel=""', ' REL="next"', ''), fc.string({ maxLength: 12 }));
const linkValue = fc.oneof(
  { weight: 4, arbitrary: fc.array(fc.tuple(urlLike, relPart).map(([u, r]) => `<${u}>;${r}`), { minLength: 1, maxLength: 3 }).map((ls) => ls.join(', ')) },
  { weight: 1, arbitrary: edited(fc.constant('</v2/library/alpine/tags/list?last=3.18&n=100>; rel="next"')) },
  { weight: 1, arbitrary: fc.string({ unit: 'binary', maxLength: 100 }) },
);

export const linkTarget = defineTarget({
  name: 'link',
  about: 'the rel="next" target of tags/list Link headers',
  codes: ['REGISTRY_ERROR'],
  ciRuns: 1800,
  arbitrary: fc.tuple(fc.oneof(linkValue, fc.array(linkValue, { maxLength: 2 }), fc.constant(undefined)), fc.constantFrom('/v2/a/tags/list', '/v2/a/tags/list?n=5', 'weird path')),
  open: async () => ({ run: ([link, current]: [string | string[] | undefined, string]) => nextPage(link, current, 'https://registry.example:5000') }),
});

const userPass = fc.tuple(fc.string({ maxLength: 12 }), fc.constantFrom(':', '', '::'), fc.string({ maxLength: 12 })).map(([u, c, p]) => `${u}${c}${p}`);
const authSeeds = [
  { auths: { 'registry.example:5000': { auth: Buffer.from('user:pass').toString('base64') }, 'https://index.docker.io/v1/': { auth: Buffer.from('a:b').toString('base64') } } },
  { auths: { 'quay.io/ns/repo': { identitytoken: 'tok' }, 'quay.io': { username: 'u', password: 'p' } }, credsStore: 'desktop', credHelpers: { 'gcr.io': 'gcloud' } },
  { auths: {}, HttpHeaders: { 'User-Agent': 'x' }, psFormat: 'table' },
];

export const authFileTarget = defineTarget({
  name: 'auth-file',
  about: 'auth.json / config.json: parseAuthFileText, findAuthEntry, credentialFromEntry',
  codes: ['INVALID_ARGUMENT'],
  ciRuns: 1500,
  arbitrary: fc.tuple(
    mutatedJson(authSeeds, { values: [base64Of(userPass), fc.constantFrom('registry.example:5000', 'docker.io', 'desktop', '../../bin/sh', 'a b')], keys: ['auths', 'auth', 'identitytoken', 'username', 'password', 'credHelpers', 'credsStore', 'registry.example:5000', 'quay.io'] }),
    fc.constantFrom<[string, string]>(['registry.example:5000', 'a/b'], ['docker.io', 'library/alpine'], ['quay.io', 'ns/repo'], ['gcr.io', 'p/i']),
  ),
  open: async () => ({
    run: ([text, [domain, repository]]: [string, [string, string]]) => {
      const c = parseAuthFileText(text, '/fuzz/auth.json');
      const hit = findAuthEntry(c, candidateKeys(domain, repository));
      if (hit) credentialFromEntry(hit.entry, '/fuzz/auth.json', hit.key);
      void c.credHelpers?.[domain]?.toLowerCase();
      void c.credsStore?.toLowerCase();
    },
  }),
});
