/** Driver-neutral reading of Postgres errors (drizzle wraps the driver's error as `cause`). */

interface PgErrorFields {
  code?: string;
  constraint?: string; // PGlite
  constraint_name?: string; // postgres.js
  cause?: unknown;
}

/** Network and driver codes that mean "no usable connection" (postgres.js and Node). */
const CONNECTION_CODES = new Set([
  'ECONNREFUSED',
  'ECONNRESET',
  'ETIMEDOUT',
  'EPIPE',
  'EHOSTUNREACH',
  'ENOTFOUND',
  'CONNECT_TIMEOUT',
  'CONNECTION_CLOSED',
  'CONNECTION_ENDED',
  'CONNECTION_DESTROYED',
]);

/**
 * Whether an error means the database cannot be used right now (rather than that the query was
 * wrong): a lost or refused connection, a server shutting down or full, a statement cancelled by
 * statement_timeout. Such requests get 503 and may be retried by the client.
 */
export function isDatabaseUnavailable(error: unknown): boolean {
  for (let e = error as PgErrorFields | undefined, depth = 0; e && depth < 5; e = e.cause as PgErrorFields, depth++) {
    const code = e.code ?? '';
    if (CONNECTION_CODES.has(code) || code.startsWith('08') || ['57P01', '57P02', '57P03', '53300', '57014'].includes(code)) return true;
    if (e instanceof Error && /PGlite is closed/i.test(e.message)) return true;
  }
  return false;
}

/** The constraint a unique violation (23505) broke, or undefined for any other error. */
export function violatedUniqueConstraint(error: unknown): string | undefined {
  for (let e = error as PgErrorFields | undefined, depth = 0; e && depth < 4; e = e.cause as PgErrorFields, depth++) {
    if (e.code === '23505') return e.constraint ?? e.constraint_name ?? '';
  }
  return undefined;
}
