/**
 * For the few statements that run on every list request: rendered to SQL text once per shape rather
 * than on every call, and their rows decoded in place. drizzle's query builder renders every column
 * reference again on every call, and its row mapping builds a new object per row and re-checks every
 * field's type; for a page of 50 algorithms with their owners and versions that was most of the
 * request's CPU time and garbage.
 */
import { Column, sql, type Query, type SQL } from 'drizzle-orm';
import { PgDialect } from 'drizzle-orm/pg-core';
import { resultRows, type Db } from './connect.js';

const dialect = new PgDialect();

/** The structural choices a statement's text depends on: flat, so equal shapes serialise equally. */
export type Shape = Record<string, string | number | boolean | null>;

/**
 * A statement rendered once per shape and then run with its values bound by name (drizzle's
 * `sql.placeholder`). The builder is handed only the shape, never the values, so no value can end
 * up in the text cached for everyone who asks for that shape. A placeholder without a value fails
 * the call rather than binding null.
 */
export function shapedStatement<S extends Shape>(build: (shape: S) => SQL) {
  const rendered = new Map<string, Query>();
  return async function run<T = Record<string, unknown>>(db: Db, shape: S, values: Record<string, unknown>): Promise<T[]> {
    const key = JSON.stringify(shape, Object.keys(shape).sort());
    let query = rendered.get(key);
    if (!query) rendered.set(key, (query = dialect.sqlToQuery(build(shape))));
    // The session's prepared query binds the values and reports the statement to the query log,
    // on PGlite and postgres.js alike, and inside a transaction when `db` is one.
    return resultRows<T>(await db._.session.prepareQuery(query, undefined, undefined, false).execute(values));
  };
}

/** Columns by the names a statement gives them. */
export type Columns = { [name: string]: Column };

export type Decoded<T extends Columns> = {
  [K in keyof T]: T[K]['_']['data'] | (T[K]['_']['notNull'] extends true ? never : null);
};

export interface Selection<T extends Columns> {
  /** `column as "name", …` */
  readonly list: SQL;
  /** Turns a raw row into what drizzle's select would have given, in place. */
  decode(row: Record<string, unknown>): Decoded<T>;
}

/** Whether a column's driver values need converting (timestamps arrive as text); most arrive as they are. */
const converts = (column: Column) => column.mapFromDriverValue !== Column.prototype.mapFromDriverValue;

export function selection<T extends Columns>(columns: T): Selection<T> {
  const entries = Object.entries(columns);
  const converted = entries.filter(([, column]) => converts(column));
  return {
    list: sql.join(
      entries.map(([name, column]) => sql`${column} as ${sql.identifier(name)}`),
      sql`, `,
    ),
    decode(row) {
      for (const [name, column] of converted) {
        const raw = row[name];
        if (raw !== null && raw !== undefined) row[name] = column.mapFromDriverValue(raw);
      }
      return row as Decoded<T>;
    },
  };
}
