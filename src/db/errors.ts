/** Driver-neutral reading of Postgres errors (drizzle wraps the driver's error as `cause`). */

interface PgErrorFields {
  code?: string;
  constraint?: string; // PGlite
  constraint_name?: string; // postgres.js
  cause?: unknown;
}

/** The constraint a unique violation (23505) broke, or undefined for any other error. */
export function violatedUniqueConstraint(error: unknown): string | undefined {
  for (let e = error as PgErrorFields | undefined, depth = 0; e && depth < 4; e = e.cause as PgErrorFields, depth++) {
    if (e.code === '23505') return e.constraint ?? e.constraint_name ?? '';
  }
  return undefined;
}
