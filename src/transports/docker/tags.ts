/**
 * `GET /v2/NAME/tags/list`, every page: registries cap a page (distribution at 100 by
 * default) and point to the next one with a `Link: <…>; rel="next"` header.
 */
import { ImgsealError } from '../../errors.js';
import { quoted } from '../../util/quote.js';
import type { SystemContext } from '../context.js';
import { RegistryClient } from './client.js';
import { formatDockerName, type ParsedDockerReference } from './reference.js';

export interface TagList {
  /** `host/repository`, as skopeo list-tags prints it. */
  Repository: string;
  Tags: string[];
}

/** Bounds the walk: a registry that keeps answering with a next page cannot loop us forever. */
const MAX_PAGES = 10_000;
const MAX_PAGE_BYTES = 16 << 20;

export async function listRepositoryTags(ref: ParsedDockerReference, ctx: SystemContext, opts: { pageSize?: number } = {}): Promise<TagList> {
  const client = await RegistryClient.open({ ref, actions: ['pull'], ctx });
  const repository = formatDockerName({ ...ref, tag: undefined, digest: undefined });
  const what = `listing tags of ${repository}`;
  try {
    const tags: string[] = [];
    let path: string | undefined = `/v2/${ref.repository}/tags/list${opts.pageSize ? `?n=${opts.pageSize}` : ''}`;
    for (let page = 0; path !== undefined; page++) {
      if (page >= MAX_PAGES) throw new ImgsealError('REGISTRY_ERROR', `${what}: more than ${MAX_PAGES} pages`);
      const { res, bytes } = await client.fetchBytes({ method: 'GET', path, what, expect: [200] }, MAX_PAGE_BYTES);
      let doc: { tags?: unknown };
      try {
        doc = JSON.parse(bytes.toString('utf8')) as { tags?: unknown };
      } catch {
        throw new ImgsealError('REGISTRY_ERROR', `${what}: the answer is not JSON`);
      }
      if (doc.tags !== null && doc.tags !== undefined) {
        if (!Array.isArray(doc.tags) || !doc.tags.every((t) => typeof t === 'string')) throw new ImgsealError('REGISTRY_ERROR', `${what}: "tags" is not a list of names`);
        tags.push(...(doc.tags as string[]));
      }
      path = nextPage(res.headers.link, path, await client.baseUrl());
    }
    return { Repository: repository, Tags: tags };
  } finally {
    await client.close();
  }
}

/**
 * The `rel="next"` target of a Link header, resolved against the current page. Only its
 * path and query are taken, on the registry we asked (as containers/image): a Link to
 * another host must not bring that host's tags, nor our credentials, into the answer.
 */
export function nextPage(link: string | string[] | undefined, current: string, base: string): string | undefined {
  for (const value of Array.isArray(link) ? link : link ? [link] : []) {
    for (const part of value.split(',')) {
      const m = /^\s*<([^>]*)>\s*;(.*)$/.exec(part);
      if (m && /(^|;)\s*rel="?next"?\s*(;|$)/.test(m[2] ?? '')) {
        let url: URL;
        try {
          url = new URL(m[1] ?? '', new URL(current, base));
        } catch {
          throw new ImgsealError('REGISTRY_ERROR', `the registry's Link header names an invalid next page ${quoted(m[1])}`);
        }
        return `${url.pathname}${url.search}`;
      }
    }
  }
  return undefined;
}
