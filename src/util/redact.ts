/**
 * Secrets the process holds (registry passwords, bearer and refresh tokens, key
 * passwords) never reach a message: credentials register here when they are read, and
 * every place that formats text from outside (a registry's error body, a token
 * server's answer) or prints an error (the CLI's one line, IMGSEAL_DEBUG stacks) runs it
 * through redact(). Each secret is registered with the forms it travels in: as is,
 * URL-encoded, and inside Basic (base64 of `user:password`, padded or not).
 */

/** Shorter secrets are redacted only in their composite forms (a one-letter password must not blank every "a"). */
const MIN_PLAIN_LENGTH = 4;
const REDACTED = '[redacted]';

/** Every form to replace, longest first so a form containing another goes whole. */
let forms: string[] = [];
const known = new Set<string>();

function add(form: string): void {
  if (form.length < MIN_PLAIN_LENGTH || known.has(form)) return;
  known.add(form);
  forms.push(form);
  forms = [...known].sort((a, b) => b.length - a.length);
}

function addWithEncodings(secret: string): void {
  add(secret);
  add(encodeURIComponent(secret));
  const b64 = Buffer.from(secret).toString('base64');
  add(b64);
  add(b64.replace(/=+$/, ''));
  add(Buffer.from(secret).toString('base64url'));
}

/** A token, password or other secret string. */
export function registerSecret(secret: string | undefined): void {
  if (!secret) return;
  addWithEncodings(secret);
}

/** A username and password: the password, and `user:password` in all its Basic forms. */
export function registerCredentials(username: string, password: string): void {
  registerSecret(password);
  if (password) addWithEncodings(`${username}:${password}`);
}

/** `text` with every registered secret replaced by `[redacted]`. */
export function redact(text: string): string {
  let out = text;
  for (const f of forms) if (out.includes(f)) out = out.split(f).join(REDACTED);
  return out;
}

/** For tests: forget every registered secret. */
export function clearSecrets(): void {
  known.clear();
  forms = [];
}
