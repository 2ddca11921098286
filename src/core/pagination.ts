/**
 * Forward keyset pagination over (createdAt, id): stable under inserts and as fast on page 1000 as
 * on page 1 (no OFFSET). Cursors are opaque to clients.
 */
import { sql, type AnyColumn, type SQL } from 'drizzle-orm';
import { userError } from './errors.js';

export const DEFAULT_PAGE_SIZE = 20;
export const MAX_PAGE_SIZE = 100;

export interface PageArgs {
  first?: number | null;
  after?: string | null;
}

export interface Page<T> {
  edges: { node: T; cursor: string }[];
  pageInfo: { hasNextPage: boolean; hasPreviousPage: boolean; startCursor: string | null; endCursor: string | null };
  /** Counted only when a client asks for it. */
  totalCount: () => Promise<number>;
}

export interface Keyset {
  createdAt: Date;
  id: string;
}

export function encodeCursor(key: Keyset): string {
  return Buffer.from(JSON.stringify([key.createdAt.toISOString(), key.id])).toString('base64url');
}

export function decodeCursor(cursor: string): Keyset {
  try {
    const [at, id] = JSON.parse(Buffer.from(cursor, 'base64url').toString('utf8')) as unknown[];
    const createdAt = new Date(String(at));
    if (typeof at === 'string' && typeof id === 'string' && !Number.isNaN(createdAt.getTime())) {
      return { createdAt, id };
    }
  } catch {
    // fall through to the user error
  }
  throw userError('INVALID', 'after: not a cursor returned by this list', ['after']);
}

export function pageSize(first: number | null | undefined): number {
  if (first === null || first === undefined) return DEFAULT_PAGE_SIZE;
  if (!Number.isInteger(first) || first < 0 || first > MAX_PAGE_SIZE) {
    throw userError('INVALID', `first: must be between 0 and ${MAX_PAGE_SIZE}`, ['first']);
  }
  return first;
}

/** `(createdAt, id) > cursor` for the list's keyset columns, or undefined on the first page. */
export function afterCursor(columns: { createdAt: AnyColumn; id: AnyColumn }, after: Keyset | undefined): SQL | undefined {
  if (!after) return undefined;
  return sql`(${columns.createdAt}, ${columns.id}) > (${after.createdAt.toISOString()}::timestamptz, ${after.id}::uuid)`;
}

/**
 * Runs a keyset page: `fetch` receives the decoded cursor and a limit one past the page size (the
 * extra row only tells whether another page exists).
 */
export async function keysetPage<T extends Keyset>(
  args: PageArgs,
  fetch: (after: Keyset | undefined, limit: number) => Promise<T[]>,
  count: () => Promise<number>,
): Promise<Page<T>> {
  const size = pageSize(args.first);
  const after = args.after ? decodeCursor(args.after) : undefined;
  const found = size === 0 ? [] : await fetch(after, size + 1);
  const nodes = found.slice(0, size);
  let counted: Promise<number> | undefined;
  const edges = nodes.map((node) => ({ node, cursor: encodeCursor(node) }));
  return {
    edges,
    pageInfo: {
      hasNextPage: found.length > size,
      hasPreviousPage: after !== undefined,
      startCursor: edges[0]?.cursor ?? null,
      endCursor: edges.at(-1)?.cursor ?? null,
    },
    totalCount: () => (counted ??= count()),
  };
}
