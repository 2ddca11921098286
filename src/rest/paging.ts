/**
 * Algorithmia's paging, `{marker, next_link, results}` (docs/REST.md): `marker` is the keyset
 * cursor of the page's last entry, handed back as `?marker=`, and `next_link` the ready-made URL
 * of the next page; both are null on the last page.
 */
import { z } from '@hono/zod-openapi';
import { MAX_CURSOR_LENGTH, MAX_PAGE_SIZE, type Page, type PageArgs } from '../core/pagination.js';
import { ServiceError } from '../core/errors.js';
import { restError } from './envelope.js';

export const REST_PAGE_SIZE = 50;

export const pageQuery = {
  limit: z
    .string()
    .max(10)
    .optional()
    .openapi({ description: `How many results per page, 1 to ${MAX_PAGE_SIZE} (default ${REST_PAGE_SIZE}).`, example: '50' }),
  marker: z.string().max(MAX_CURSOR_LENGTH).optional().openapi({ description: 'The `marker` of the previous page, to read the next one.' }),
};

export const pagedResults = <T extends z.ZodType>(item: T, name: string) =>
  z
    .object({
      marker: z.string().nullable().openapi({ description: 'Pass as `marker` to read the next page; null on the last page.' }),
      next_link: z.string().nullable().openapi({ description: 'The URL of the next page; null on the last page.' }),
      results: z.array(item),
    })
    .openapi(name);

export interface RestPage<R> {
  marker: string | null;
  next_link: string | null;
  results: R[];
}

/**
 * The page `limit` and `marker` ask for, read by `list`, each entry rendered by `render`; in the
 * list's order, or from its end backwards when `order` is 'newestFirst' (lists are kept oldest first).
 */
export async function restPage<T, R>(
  url: URL,
  query: { limit?: string | undefined; marker?: string | undefined },
  list: (args: PageArgs) => Promise<Page<T>> | Page<T>,
  render: (node: T) => R,
  order: 'oldestFirst' | 'newestFirst' = 'oldestFirst',
): Promise<RestPage<R>> {
  const limit = query.limit === undefined ? REST_PAGE_SIZE : Number(query.limit);
  if (!/^\d{1,3}$/.test(query.limit ?? '50') || limit < 1 || limit > MAX_PAGE_SIZE) {
    throw restError(400, 'invalidLimit', `Limit must be between 1 and ${MAX_PAGE_SIZE}.`);
  }
  const backwards = order === 'newestFirst';
  const marker = query.marker || null;
  let page: Page<T>;
  try {
    page = await list(backwards ? { last: limit, before: marker } : { first: limit, after: marker });
  } catch (error) {
    if (error instanceof ServiceError && error.errors.some((e) => e.field?.[0] === 'after' || e.field?.[0] === 'before')) throw restError(400, 'invalidMarker');
    throw error;
  }
  const { pageInfo } = page;
  const next = backwards ? (pageInfo.hasPreviousPage ? pageInfo.startCursor : null) : pageInfo.hasNextPage ? pageInfo.endCursor : null;
  const edges = backwards ? [...page.edges].reverse() : page.edges;
  let nextLink: string | null = null;
  if (next) {
    const link = new URL(url);
    link.searchParams.set('limit', String(limit));
    link.searchParams.set('marker', next);
    nextLink = link.toString();
  }
  return { marker: next, next_link: nextLink, results: edges.map((edge) => render(edge.node)) };
}
