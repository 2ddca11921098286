/**
 * Statements built once per shape and database, then run with their values bound by name (drizzle's
 * `.prepare()` and `sql.placeholder`). A list that runs on every request costs no rendering of its
 * SQL after the first time. The builder is handed only the shape, never the values, so no value can
 * end up in a text that everyone who asks for that shape shares; a placeholder without a value fails
 * the call rather than binding null.
 */
import type { Db } from './connect.js';

/** `build` once per (database or transaction, shape); shapes are equal when their JSON is. */
export function preparedPerShape<S extends object, P>(build: (db: Db, shape: S) => P): (db: Db, shape: S) => P {
  const byDb = new WeakMap<Db, Map<string, P>>();
  return (db, shape) => {
    let byShape = byDb.get(db);
    if (!byShape) byDb.set(db, (byShape = new Map()));
    const key = JSON.stringify(shape);
    let prepared = byShape.get(key);
    if (!prepared) byShape.set(key, (prepared = build(db, shape)));
    return prepared;
  };
}
