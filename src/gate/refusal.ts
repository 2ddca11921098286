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
}

/** A refusal thrown through code that cannot return one (a request parser, a wrapped handler). */
export class RefusalError extends Error {
  constructor(readonly refusal: Refusal) {
    super(refusal.message);
    this.name = 'RefusalError';
  }
}

export const refusal = (status: number, code: string, message: string, headers?: Record<string, string>): Refusal =>
  headers ? { status, code, message, headers } : { status, code, message };

/** 429 for a spent budget, saying when to come back (RateLimit fields and Retry-After). */
export const rateLimited = (budget: Budget, what: string): Refusal =>
  refusal(429, 'RATE_LIMITED', `Too many ${what}: try again in ${budgetHeaders(budget)['RateLimit-Reset']} s.`, budgetHeaders(budget));
