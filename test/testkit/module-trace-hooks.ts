// Module hooks (run on Node's hooks thread): every ES module and every package entry
// that goes through `import` is appended to the file named by IMGSEAL_MODULE_TRACE.
import { appendFileSync } from 'node:fs';

type NextLoad = (url: string, context: unknown) => Promise<unknown>;

export async function load(url: string, context: unknown, next: NextLoad): Promise<unknown> {
  const out = process.env.IMGSEAL_MODULE_TRACE;
  if (out) appendFileSync(out, `${url}\n`);
  return next(url, context);
}
