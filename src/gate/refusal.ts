/**
 * What the gate answers when it stops a request, in terms every transport can render: GraphQL puts
 * it in `errors[0]` with `extensions.code`, REST in its error envelope. The status, code and
 * message are the contract; the transport only chooses the body's shape.
 */
import { budgetHeaders, type Budget } from '../auth/rate-limit.js';

export interface Refusal {
  status: number;
  /** Stable, machine-readable: UNAUTHENTICATED, FORBIDDEN, RATE_LIMITED, PAYLOAD_TOO_LARGE, … */
  code: string;
  message: string;
  headers?: Record<string, string>;
  /**
   * Why, for metrics only (never sent): the code in lower case, or finer where one code has several
   * causes (which budget was spent, a missing key or a bad one, a deadline or the database).
   * None on a failure of the server's own (500), which is no refusal.
   */
  cause?: string;
}

/** A refusal thrown through code that cannot return one (a request parser, a wrapped handler). */
export class RefusalError extends Error {
  constructor(readonly refusal: Refusal) {
    super(refusal.message);
    this.name = 'RefusalError';
  }
}

export const refusal = (status: number, code: string, message: string, headers?: Record<string, string>, cause = code.toLowerCase()): Refusal =>
  headers ? { status, code, message, headers, cause } : { status, code, message, cause };

/** The budgets a request may find spent, as metrics name them. */
export type BudgetName = 'key_budget' | 'owner_budget' | 'auth_failure_budget' | 'graphiql_budget';

/** 429 for a spent budget, saying when to come back (RateLimit fields and Retry-After). */
export const rateLimited = (budget: Budget, what: string, spent: BudgetName): Refusal => {
  const headers = budgetHeaders(budget);
  return refusal(429, 'RATE_LIMITED', `Too many ${what}: try again in ${headers['RateLimit-Reset']} s.`, headers, spent);
};
