import { sql, type Column, type SQL } from 'drizzle-orm';

/**
 * `column = any($1::uuid[])`: one parameter however many ids, so the statement's text (and the
 * server's prepared plan for it) stays the same whether a page holds 5 rows or 100. An `IN` list
 * would make a new statement for every length.
 */
export function anyOf(column: Column, ids: readonly string[]): SQL {
  return sql`${column} = any(${sql.param([...ids])}::uuid[])`;
}
