/**
 * The SQL of keyset pagination (core/pagination.ts plans and assembles pages): a page's bounds over
 * (createdAt, id), its order and its limit, as values or as placeholders for prepared statements.
 */
import { sql, type AnyColumn, type SQL } from 'drizzle-orm';
import { assemblePage, planPage, positionOf, type IdKind, type Keyset, type Page, type PageArgs, type PagePlan, type PageShape } from '../core/pagination.js';

/** What a list query needs to fetch one page: bounds, order and limit for its keyset columns. */
export interface PageQuery {
  where: SQL | undefined;
  orderBy: SQL[];
  limit: number;
}

export interface KeysetColumns {
  createdAt: AnyColumn;
  id: AnyColumn;
  /** Default uuid. */
  idKind?: IdKind;
}

/** A keyset position as a statement binds it: values, or placeholders for them (see `pagePlaceholders`). */
type Position = [at: unknown, id: unknown];

/** Bounds and order of a page over these columns; `after`/`before` only where the page has them. */
function boundsAndOrder(columns: KeysetColumns, after: Position | undefined, before: Position | undefined, backwards: boolean) {
  const idKind = sql.raw(columns.idKind ?? 'uuid');
  const compare = (op: '>' | '<', [at, id]: Position) =>
    sql`(${columns.createdAt}, ${columns.id}) ${sql.raw(op)} (${at}::timestamptz, ${id}::${idKind})`;
  const where = [after && compare('>', after), before && compare('<', before)].filter((condition): condition is SQL => Boolean(condition));
  const direction = backwards ? sql`desc` : sql`asc`;
  return {
    where: where.length === 0 ? undefined : sql.join(where, sql` and `),
    orderBy: [sql`${columns.createdAt} ${direction}`, sql`${columns.id} ${direction}`],
  };
}

/** The bounds, order and limit that fetch a planned page over these columns, its positions bound as values. */
export function pageQuery(plan: PagePlan, columns: KeysetColumns): PageQuery {
  return {
    ...boundsAndOrder(columns, plan.after && positionOf(plan.after), plan.before && positionOf(plan.before), plan.backwards),
    limit: plan.limit,
  };
}

/**
 * A page's bounds, order and limit over placeholders named `<prefix>afterAt`, `<prefix>limit`, …,
 * for statements prepared once per shape (db/prepared.ts); `pageValues` gives the values.
 */
export function pagePlaceholders(columns: KeysetColumns, shape: PageShape, prefix: string) {
  const position = (bound: string): Position => [sql.placeholder(`${prefix}${bound}At`), sql.placeholder(`${prefix}${bound}Id`)];
  return {
    ...boundsAndOrder(columns, shape.after ? position('after') : undefined, shape.before ? position('before') : undefined, shape.backwards),
    limit: sql.placeholder(`${prefix}limit`),
  };
}

/**
 * One page of a list ordered by (createdAt, id): `first` items after `after`, or the `last` items
 * before `before`. `fetch` runs the page query (asking for one row more than the page, which only
 * tells whether there is another page); `count` runs when a client asks for totalCount.
 */
export async function keysetPage<T extends Keyset>(
  args: PageArgs,
  columns: KeysetColumns,
  fetch: (query: PageQuery) => Promise<T[]>,
  count: () => Promise<number>,
): Promise<Page<T>> {
  const plan = planPage(args, columns.idKind);
  return assemblePage(plan, await fetch(pageQuery(plan, columns)), count);
}
