/**
 * Errors nobody planned for, as a client may see them: a database that is away, or a request past
 * its deadline, is a retryable 503; anything else is an opaque 500 whose details go to the log
 * under the request's id, never to the client.
 */
import type { Logger } from '../core/logger.js';
import { isDatabaseUnavailable } from '../db/errors.js';
import { DeadlineExceeded } from './deadline.js';
import { refusal, type Refusal } from './refusal.js';

// One answer for both: to the client, a request past its deadline and a database that is away mean
// the same, to retry shortly (clients and tests know this message); the log and metrics tell them apart.
const serviceUnavailable = (cause: 'deadline' | 'database_unavailable') =>
  refusal(503, 'SERVICE_UNAVAILABLE', 'The database is unavailable; try again shortly.', { 'Retry-After': '5' }, cause);
const DEADLINE_PASSED = serviceUnavailable('deadline');
const DATABASE_AWAY = serviceUnavailable('database_unavailable');
/** No cause: the server's own failure, not a refusal. */
const INTERNAL_ERROR: Refusal = { status: 500, code: 'INTERNAL_SERVER_ERROR', message: 'Unexpected error.' };

/**
 * What the client is told of an unexpected error, logged with the request's id when `log` is given
 * (a copy of an answer, such as a stored idempotent response, is not logged twice). A request cut
 * by its deadline is an error of this server (it took too long, whatever for), logged as such; a
 * database that is away is the database's, a warning here.
 */
export function unexpectedFailure(error: unknown, log: Logger | undefined, requestId: string | undefined, path?: readonly (string | number)[]): Refusal {
  if (error instanceof DeadlineExceeded) {
    log?.error({ requestId, path }, 'request deadline exceeded');
    return DEADLINE_PASSED;
  }
  if (isDatabaseUnavailable(error)) {
    log?.warn({ err: error, requestId }, 'database unavailable');
    return DATABASE_AWAY;
  }
  log?.error({ err: error, requestId, path }, 'unexpected error');
  return INTERNAL_ERROR;
}
