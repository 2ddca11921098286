/**
 * Keyset pagination over (createdAt, id), forwards (first/after) and backwards (last/before):
 * stable under inserts and as fast on page 1000 as on page 1 (no OFFSET). Cursors are opaque.
 */
import { userError } from './errors.js';
import { isUuid } from './ids.js';

export const DEFAULT_PAGE_SIZE = 20;
export const MAX_PAGE_SIZE = 100;

export interface PageArgs {
  first?: number | null;
  after?: string | null;
  last?: number | null;
  before?: string | null;
}

export interface Page<T> {
  edges: { node: T; cursor: string }[];
  pageInfo: { hasNextPage: boolean; hasPreviousPage: boolean; startCursor: string | null; endCursor: string | null };
  /** Counted only when a client asks for it. */
  totalCount: () => Promise<number>;
}

export interface Keyset {
  createdAt: Date;
  id: string | bigint;
}

export function encodeCursor(key: Keyset): string {
  return Buffer.from(JSON.stringify([key.createdAt.toISOString(), String(key.id)])).toString('base64url');
}

/** The type of a list's id column: what a cursor's id must look like and how SQL compares it. */
export type IdKind = 'uuid' | 'bigint';
const ID_SHAPE: Record<IdKind, { test(value: string): boolean }> = {
  uuid: { test: isUuid },
  bigint: /^\d{1,18}$/,
};

/** A cursor this code writes is about 100 characters (an instant and an id, in base64url). */
export const MAX_CURSOR_LENGTH = 200;

export function decodeCursor(cursor: string, arg: 'after' | 'before', idKind: IdKind): Keyset {
  if (cursor.length > MAX_CURSOR_LENGTH) throw userError('INVALID', `${arg}: must be at most ${MAX_CURSOR_LENGTH} characters`, [arg]);
  try {
    const [at, id] = JSON.parse(Buffer.from(cursor, 'base64url').toString('utf8')) as unknown[];
    const createdAt = new Date(String(at));
    // Only the exact form encodeCursor writes: anything else (a year 10000, say) never reaches SQL.
    const canonical =
      typeof at === 'string' && /^\d{4}-/.test(at) && !Number.isNaN(createdAt.getTime()) && createdAt.toISOString() === at;
    if (canonical && typeof id === 'string' && ID_SHAPE[idKind].test(id)) {
      return { createdAt, id };
    }
  } catch {
    // fall through to the user error
  }
  throw userError('INVALID', `${arg}: not a cursor returned by this list`, [arg]);
}

function pageSize(arg: 'first' | 'last', value: number | null | undefined): number | undefined {
  if (value === null || value === undefined) return undefined;
  if (!Number.isInteger(value) || value < 0 || value > MAX_PAGE_SIZE) {
    throw userError('INVALID', `${arg}: must be between 0 and ${MAX_PAGE_SIZE}`, [arg]);
  }
  return value;
}

/** A keyset position as a statement binds it: its instant and its id, as text. */
export const positionOf = (key: Keyset): [at: string, id: string] => [key.createdAt.toISOString(), String(key.id)];

/** A page request, decoded and checked: which rows to fetch, and how to assemble the page from them. */
export interface PagePlan {
  size: number;
  backwards: boolean;
  after: Keyset | undefined;
  before: Keyset | undefined;
  /** One row more than the page, which only tells whether there is another page. */
  limit: number;
}

export function planPage(args: PageArgs, idKind: IdKind = 'uuid'): PagePlan {
  const first = pageSize('first', args.first);
  const last = pageSize('last', args.last);
  if (first !== undefined && last !== undefined) {
    throw userError('INVALID', 'last: use either first or last, not both', ['last']);
  }
  const backwards = last !== undefined;
  const size = (backwards ? last : first) ?? DEFAULT_PAGE_SIZE;
  return {
    size,
    backwards,
    after: args.after ? decodeCursor(args.after, 'after', idKind) : undefined,
    before: args.before ? decodeCursor(args.before, 'before', idKind) : undefined,
    limit: size + 1,
  };
}

/** What the text of a page's statement depends on: which bounds it has, and its direction. */
export interface PageShape {
  after: boolean;
  before: boolean;
  backwards: boolean;
}

export function pageValues(plan: PagePlan, prefix: string): Record<string, unknown> {
  const values: Record<string, unknown> = { [`${prefix}limit`]: plan.limit };
  for (const [bound, key] of [['after', plan.after], ['before', plan.before]] as const) {
    if (!key) continue;
    [values[`${prefix}${bound}At`], values[`${prefix}${bound}Id`]] = positionOf(key);
  }
  return values;
}

/**
 * A page's parts are classes with their getters on the prototype: a nested list of 50 × 5 assembles
 * 51 pages and 300 edges per request, and object literals with getters would each allocate their
 * own functions.
 */
class Edge<T extends Keyset> {
  constructor(readonly node: T) {}

  /** Encoded only when a client asks for it: a nested list would otherwise encode 300 that nobody reads. */
  get cursor(): string {
    return encodeCursor(this.node);
  }
}

class PageInfo<T extends Keyset> {
  constructor(
    private readonly edges: Edge<T>[],
    readonly hasNextPage: boolean,
    readonly hasPreviousPage: boolean,
  ) {}

  get startCursor(): string | null {
    return this.edges[0]?.cursor ?? null;
  }

  get endCursor(): string | null {
    return this.edges.at(-1)?.cursor ?? null;
  }
}

class AssembledPage<T extends Keyset> implements Page<T> {
  readonly edges: Edge<T>[];
  readonly pageInfo: PageInfo<T>;
  private counted: Promise<number> | undefined;

  constructor(
    plan: PagePlan,
    found: T[],
    private readonly count: () => Promise<number>,
  ) {
    const more = found.length > plan.size;
    const nodes = found.length > plan.size ? found.slice(0, plan.size) : found;
    if (plan.backwards) nodes.reverse();
    this.edges = nodes.map((node) => new Edge(node));
    this.pageInfo = new PageInfo(
      this.edges,
      plan.backwards ? plan.before !== undefined : more,
      plan.backwards ? more : plan.after !== undefined,
    );
  }

  /** Counted once, and only when a client asks for it. */
  totalCount(): Promise<number> {
    return (this.counted ??= this.count());
  }
}

/** Assembles a page from rows fetched with `plan` (in its order, at most `plan.limit` of them; `found` becomes the page's). */
export function assemblePage<T extends Keyset>(plan: PagePlan, found: T[], count: () => Promise<number>): Page<T> {
  return new AssembledPage(plan, found, count);
}
