/**
 * `WWW-Authenticate` parsing (RFC 7235 challenges as registries send them):
 * `Bearer realm="https://auth/token",service="registry",scope="repository:a:pull"`.
 */

export interface Challenge {
  scheme: string; // lower-case: 'bearer', 'basic'
  params: Record<string, string>;
}

/** Parses one header value, which may hold several challenges. */
export function parseChallenges(header: string | string[] | undefined): Challenge[] {
  if (header === undefined) return [];
  const values = Array.isArray(header) ? header : [header];
  const out: Challenge[] = [];
  for (const value of values) {
    let i = 0;
    let current: Challenge | undefined;
    const s = value;
    // Bounded by the string length: every iteration consumes at least one character.
    while (i < s.length) {
      while (i < s.length && (s[i] === ' ' || s[i] === ',')) i++;
      const tokenMatch = /^[!#$%&'*+.^_`|~0-9A-Za-z-]+/.exec(s.slice(i));
      if (!tokenMatch) {
        i++;
        continue;
      }
      const token = tokenMatch[0];
      i += token.length;
      while (i < s.length && s[i] === ' ') i++;
      if (s[i] === '=' && current) {
        i++;
        while (i < s.length && s[i] === ' ') i++;
        let val = '';
        if (s[i] === '"') {
          i++;
          while (i < s.length && s[i] !== '"') {
            if (s[i] === '\\' && i + 1 < s.length) i++;
            val += s[i];
            i++;
          }
          i++; // closing quote
        } else {
          const m = /^[^,\s]*/.exec(s.slice(i));
          val = m ? m[0] : '';
          i += val.length;
        }
        current.params[token.toLowerCase()] = val;
      } else {
        current = { scheme: token.toLowerCase(), params: {} };
        out.push(current);
      }
    }
  }
  return out;
}
