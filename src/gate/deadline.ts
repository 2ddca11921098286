/**
 * Bounds how long a request may take. statement_timeout covers slow statements, but a connection
 * that dies silently mid-query would otherwise hang until TCP gives up (minutes), and a request of
 * many statements could run far past any one statement's limit. A request past the deadline answers
 * 503 and its work stops there: statements it has running are cancelled (Postgres), those it would
 * still send are refused, and resolvers stop (core/request-work.ts). A mutation cut there may or
 * may not have committed, which is what Idempotency-Key is for.
 */
import { limits } from '../core/limits.js';
import { RequestWork, runAs } from '../core/request-work.js';
import { settleWithin } from '../core/timeout.js';

export class DeadlineExceeded extends Error {
  constructor() {
    super('request deadline exceeded');
    this.name = 'DeadlineExceeded';
  }
}

export function withDeadline<T>(work: Promise<T>, ms: number, onExpiry?: () => void): Promise<T> {
  return settleWithin(work, ms, () => {
    onExpiry?.();
    return new DeadlineExceeded();
  });
}

/** Runs a request's work as one `RequestWork`, stopped when the deadline passes. */
export function workWithinDeadline<T>(work: () => Promise<T> | T, ms: number): Promise<T> {
  const request = new RequestWork(limits().objectsPerRequest);
  return withDeadline(
    runAs(request, () => Promise.resolve().then(work)),
    ms,
    () => request.stop(),
  );
}
