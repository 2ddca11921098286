/**
 * What the gate knows about one request while it passes through: its id, when it started, where it
 * came from and, once authenticated, who it acts as and what is left of its budget. Transports keep
 * it with their own per-request context (yoga's server context, a router's context).
 */
import { randomUUID } from 'node:crypto';
import type { Caller } from '../auth/origin.js';
import type { Principal } from '../auth/principal.js';
import type { Budget } from '../auth/rate-limit.js';

export interface RequestState {
  id: string;
  startedAt: number;
  /** The client's network address (failed authentication is limited per address). */
  address: string;
  /** The key's request budget after this request. */
  budget?: Budget;
  /** Where the request comes from, as caller-origin rules see it (read once, at authentication). */
  caller?: Caller;
  principal?: Principal;
  /** Whether a browser may read the response (sets Access-Control-Allow-Origin). */
  corsAllowed?: boolean;
}

const REQUEST_ID_PATTERN = /^[A-Za-z0-9._-]{1,64}$/;

/** A request's state as it arrives: a caller's or proxy's id when harmless to echo and log, else a new one. */
export function beginRequest(request: Request, address = 'unknown'): RequestState {
  const given = request.headers.get('x-request-id');
  return { id: given && REQUEST_ID_PATTERN.test(given) ? given : randomUUID(), startedAt: performance.now(), address };
}
