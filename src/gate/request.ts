/**
 * What the gate knows about one request while it passes through: its id, when it started, where it
 * came from and, once authenticated, who it acts as and what is left of its budget. Transports keep
 * it with their own per-request context (yoga's server context, a router's context).
 */
import { randomUUID } from 'node:crypto';
import type { Caller } from '../auth/origin.js';
import type { Principal } from '../auth/principal.js';
import type { Budget } from '../auth/rate-limit.js';
import type { Transport } from '../core/metrics.js';
import { clientAddress, type TrustProxy } from '../core/client-address.js';
import type { HeaderReader } from './headers.js';

export interface RequestState {
  id: string;
  /** The URL's path, for the log line. */
  path: string;
  startedAt: number;
  /**
   * The client's network address: the socket's, or the one believed proxies forwarded for
   * (TRUST_PROXY). Failed authentication and GraphiQL are limited per address; the log names it.
   */
  address: string;
  /** The key's budget of cost points after this request (its owner's where that is tighter). */
  budget?: Budget;
  /** The points this request has spent: 1 at authentication, then a GraphQL operation's cost. */
  cost?: number;
  /** Where the request comes from, as caller-origin rules see it (read once, at authentication). */
  caller?: Caller;
  principal?: Principal;
  /** Whether a browser may read the response (sets Access-Control-Allow-Origin). */
  corsAllowed?: boolean;
  /** For metrics: the transport that took the request (none for probes and unknown paths)… */
  transport?: Transport;
  /** …the operation it ran, named from a closed set (a root field, a route template)… */
  operation?: string;
  /** …and, when it was refused, why (`Refusal.cause`; the first refusal noted stands). */
  refusedFor?: string;
}

const REQUEST_ID_PATTERN = /^[A-Za-z0-9._-]{1,64}$/;

/** Where a request arrived from: the socket's peer, and which proxies in front of us to believe. */
export interface Connection {
  peer: string | undefined;
  trustProxy: TrustProxy;
}

/**
 * A request's state as it arrives at `path`: a caller's or proxy's id when harmless to echo and
 * log, else a new one; the client's address as `connection` tells it ('unknown' without one).
 */
export function beginRequest(headers: HeaderReader, path: string, connection?: Connection): RequestState {
  const given = headers.get('x-request-id');
  const address = connection && clientAddress(connection.peer, headers.get('x-forwarded-for'), connection.trustProxy);
  return { id: given && REQUEST_ID_PATTERN.test(given) ? given : randomUUID(), path, startedAt: performance.now(), address: address ?? 'unknown' };
}
