/**
 * JSON arrays written by Postgres as text, by concatenation: what a statement reads this way reaches
 * the server as one string per row, which `JSON.parse` turns into values faster than drivers and
 * drizzle map columns one by one (BENCHMARKS.md). Arrays, not objects: keys made the nested list's
 * statement about a quarter slower (docs/ARCHITECTURE.md).
 */
import { sql, type SQL, type SQLWrapper } from 'drizzle-orm';

/**
 * One element and how it becomes JSON:
 * - `json`: text that is JSON already (a number's or a boolean's text, a nested array); never null;
 * - `string`: text that needs no escaping (a uuid, hex digits, an enum label, a name its check
 *   constraint keeps to letters, digits and underscores), quoted; null stays null.
 * Nothing else is written this way: escaping (`to_json`) is only stable, and stored columns may use
 * immutable expressions alone.
 */
export type JsonElement = { json: SQL } | { string: SQL };

const elementText = (element: JsonElement): SQL => ('json' in element ? element.json : sql`coalesce('"' || ${element.string} || '"', 'null')`);

/** `[e1,e2,…]` as a text expression. */
export const jsonArrayText = (elements: readonly JsonElement[]): SQL =>
  sql`'[' || ${sql.join(elements.map(elementText), sql` || ',' || `)} || ']'`;

/** An instant as JSON: epoch milliseconds (timestamps here are timestamptz(3); a number parses faster than an instant's text). */
export const epochMillis = (instant: SQLWrapper): SQL => sql`floor(extract(epoch from ${instant} at time zone 'UTC') * 1000)::text`;
