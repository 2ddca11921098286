/**
 * For the few statements that run on every list request: their fixed parts rendered to SQL text once,
 * at load, and their rows decoded by decoders worked out once. drizzle's query builder renders every
 * column reference again on every call, and its row mapping re-checks every field's type on every
 * row; for a page of 50 algorithms with their owners that was most of the statement's CPU cost.
 */
import { Column, sql, type SQL } from 'drizzle-orm';
import { PgDialect } from 'drizzle-orm/pg-core';

const dialect = new PgDialect();

/** A fixed piece of SQL, rendered to text now. It may not hold parameters: those change per call. */
export function precompiled(fragment: SQL): SQL {
  const { sql: text, params } = dialect.sqlToQuery(fragment);
  if (params.length > 0) throw new Error('precompiled SQL may not hold parameters');
  return sql.raw(text);
}

/** Columns by name, and groups of them one level deep (a left-joined table's, say). */
export type Columns = { [name: string]: Column | { [name: string]: Column } };

type Decoded<T extends Columns> = {
  [K in keyof T]: T[K] extends Column ? T[K]['_']['data'] | (T[K]['_']['notNull'] extends true ? never : null) : { [G in keyof T[K]]: T[K][G] extends Column ? T[K][G]['_']['data'] : never } | null;
};

export interface Selection<T extends Columns> {
  /** `column as "name", …`, rendered once. */
  readonly list: SQL;
  /** One raw row (as `rows()` returns it) as drizzle's select would have mapped it; a group whose columns are all null is null. */
  decode(row: Record<string, unknown>): Decoded<T>;
}

export function selection<T extends Columns>(columns: T): Selection<T> {
  type Field = [name: string, alias: string, column: Column];
  const fields: Field[] = [];
  const groups: [name: string, members: Field[]][] = [];
  for (const [name, entry] of Object.entries(columns)) {
    if (entry instanceof Column) fields.push([name, name, entry]);
    else groups.push([name, Object.entries(entry).map(([member, column]): Field => [member, `${name}.${member}`, column])]);
  }
  const value = (row: Record<string, unknown>, [, alias, column]: Field) => {
    const raw = row[alias];
    return raw === null || raw === undefined ? null : column.mapFromDriverValue(raw);
  };
  return {
    list: precompiled(
      sql.join(
        [...fields, ...groups.flatMap(([, members]) => members)].map(([, alias, column]) => sql`${column} as ${sql.identifier(alias)}`),
        sql`, `,
      ),
    ),
    decode(row) {
      const result: Record<string, unknown> = {};
      for (const field of fields) result[field[0]] = value(row, field);
      for (const [name, members] of groups) {
        const group: Record<string, unknown> = {};
        let present = false;
        for (const member of members) {
          group[member[0]] = value(row, member);
          present ||= group[member[0]] !== null;
        }
        result[name] = present ? group : null;
      }
      return result as Decoded<T>;
    },
  };
}
