/** Driver-neutral reading of Postgres errors (drizzle wraps the driver's error as `cause`). */

interface PgErrorFields {
  code?: string;
  constraint?: string; // PGlite
  constraint_name?: string; // postgres.js
  cause?: unknown;
}

/**
 * Codes that mean the database cannot be used right now: network and driver codes for no usable
 * connection (postgres.js and Node), then Postgres's for a server shutting down (57P01-57P03), out
 * of connections (53300) or a statement cancelled by statement_timeout (57014).
 */
const UNAVAILABLE_CODES = new Set([
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
  '57P01',
  '57P02',
  '57P03',
  '53300',
  '57014',
]);

/** The error and the errors it wraps (drizzle wraps the driver's as `cause`), a few levels deep. */
function* causes(error: unknown): Generator<PgErrorFields> {
  for (let e = error as PgErrorFields | undefined, depth = 0; e && depth < 5; e = e.cause as PgErrorFields, depth++) yield e;
}

/**
 * Whether an error means the database cannot be used right now (rather than that the query was
 * wrong): a lost or refused connection, a server shutting down or full, a statement cancelled by
 * statement_timeout. Such requests get 503 and may be retried by the client.
 */
export function isDatabaseUnavailable(error: unknown): boolean {
  for (const e of causes(error)) {
    const code = e.code ?? '';
    if (UNAVAILABLE_CODES.has(code) || code.startsWith('08')) return true;
    if (e instanceof Error && /PGlite is closed/i.test(e.message)) return true;
  }
  return false;
}

/** The constraint a unique violation (23505) broke, or undefined for any other error. */
export function violatedUniqueConstraint(error: unknown): string | undefined {
  for (const e of causes(error)) {
    if (e.code === '23505') return e.constraint ?? e.constraint_name ?? '';
  }
  return undefined;
}
