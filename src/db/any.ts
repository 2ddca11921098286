import { Placeholder, sql, type Column, type SQL } from 'drizzle-orm';

/**
 * `column = any($1::uuid[])`: one parameter however many ids, so the statement's text (and the
 * server's prepared plan for it) stays the same whether a page holds 5 rows or 100. An `IN` list
 * would make a new statement for every length. The ids may be a placeholder (see db/prepared.ts).
 */
export function anyOf(column: Column, ids: readonly string[] | Placeholder): SQL {
  return sql`${column} = any(${ids instanceof Placeholder ? ids : sql.param([...ids])}::uuid[])`;
}
