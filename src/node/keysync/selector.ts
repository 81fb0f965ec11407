/**
 * Kubernetes label selectors (the string form `kubectl -l` takes): `k=v`, `k==v`,
 * `k!=v`, `k in (a,b)`, `k notin (a,b)`, `k`, `!k`, comma-separated, all must hold.
 * A Secret names the nodes it is for with one in annotation NODE_SELECTOR_ANNOTATION.
 */
import { ImgsealError } from '../../errors.js';

export const NODE_SELECTOR_ANNOTATION = 'keysync.imgseal.io/node-selector';

type Requirement = (labels: Record<string, string>) => boolean;

function splitTopLevel(s: string): string[] {
  const parts: string[] = [];
  let depth = 0;
  let cur = '';
  for (const c of s) {
    if (c === '(') depth++;
    if (c === ')') depth--;
    if (c === ',' && depth === 0) {
      parts.push(cur);
      cur = '';
    } else cur += c;
  }
  parts.push(cur);
  return parts.map((p) => p.trim()).filter((p) => p !== '');
}

const KEY = '[A-Za-z0-9]([-A-Za-z0-9_./]*[A-Za-z0-9])?';
const VALUE = '([A-Za-z0-9]([-A-Za-z0-9_.]*[A-Za-z0-9])?)?';

export function parseLabelSelector(text: string): (labels: Record<string, string>) => boolean {
  const reqs: Requirement[] = [];
  for (const part of splitTopLevel(text)) {
    let m: RegExpMatchArray | null;
    if ((m = part.match(new RegExp(`^(${KEY})\\s*(=|==|!=)\\s*(${VALUE})$`)))) {
      const [k, op, v] = [m[1] as string, m[3] as string, m[4] as string];
      reqs.push(op === '!=' ? (l) => l[k] !== v : (l) => l[k] === v);
    } else if ((m = part.match(new RegExp(`^(${KEY})\\s+(in|notin)\\s*\\(([^()]*)\\)$`)))) {
      const k = m[1] as string;
      const neg = m[3] === 'notin';
      const set = new Set((m[4] as string).split(',').map((x) => x.trim()));
      reqs.push((l) => (l[k] !== undefined && set.has(l[k] as string)) !== neg);
    } else if ((m = part.match(new RegExp(`^(!?)\\s*(${KEY})$`)))) {
      const neg = m[1] === '!';
      const k = m[2] as string;
      reqs.push((l) => (l[k] !== undefined) !== neg);
    } else {
      throw new ImgsealError('KEY_SYNC', `invalid label selector ${JSON.stringify(text)} (at ${JSON.stringify(part)})`);
    }
  }
  return (labels) => reqs.every((r) => r(labels));
}
