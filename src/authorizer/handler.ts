/**
 * The gateway authorizer, `/v1/authorize[/<original path>]` for any method (docs/AUTHORIZER.md):
 * nginx's auth_request or Envoy's ext_authz asks it before each algorithm and data call. It is on
 * every call's path, so it is answered before yoga, on plain node:http (app.ts): no Fetch Request
 * or Response, no GraphQL, no URL object. It only translates, in this order:
 *
 *   the call            the gateway's headers (original.ts), Algorithmia's paths (modules/calls/paths.ts)
 *   authentication      the gate's one pipeline: the address's failed-auth budget, the key
 *                       (verified-key cache), caller origin, the key's budget, its owner's
 *   the decision        modules/calls/service.ts, from algorithms' call sheets cached in process
 *   the answer          answer.ts
 *
 * Every refusal is logged at info with its reason (never the key). Allowed calls are logged at
 * debug only: the gateway logs every call it passes on, and a second line per call here would
 * double the log for nothing.
 */
import type { IncomingMessage, ServerResponse } from 'node:http';
import type { Principal } from '../auth/principal.js';
import type { Budget } from '../auth/rate-limit.js';
import type { KeyUsageRecorder } from '../auth/usage.js';
import type { TrustProxy } from '../core/client-address.js';
import type { Logger } from '../core/logger.js';
import { NO_OPERATION, type RequestMetrics } from '../core/metrics.js';
import type { Authenticator } from '../gate/authenticate.js';
import { withDeadline } from '../gate/deadline.js';
import { unexpectedFailure } from '../gate/failures.js';
import { nodeHeaders, type HeaderReader } from '../gate/headers.js';
import { beginRequest, type RequestState } from '../gate/request.js';
import { after, type NowOrLater } from '../core/now-or-later.js';
import type { SheetSource } from '../modules/algorithms/call-sheets.js';
import type { Call, CallVerdict } from '../modules/calls/model.js';
import { parseCall } from '../modules/calls/paths.js';
import { decideCall } from '../modules/calls/service.js';
import { gateRefused, refused, statusOf, writeAllowed, writeRefusal, type Refused } from './answer.js';
import { AUTHORIZE_PATH, originalRequest, type Original } from './original.js';

export interface AuthorizerOptions {
  authenticator: Authenticator;
  sheets: SheetSource;
  log: Logger;
  trustProxy: TrustProxy;
  /** How long a call may wait on the database (a key or an algorithm not cached yet). */
  deadlineMs: number;
  metrics: RequestMetrics | undefined;
  /** Where each decision on a key's call is counted (`ApiKey.usage`), off the call's path. */
  usage: KeyUsageRecorder;
}

/** Whether a request target is the authorizer's: /v1/authorize itself, or a path or query under it. */
export function isAuthorizeRequest(url: string | undefined): boolean {
  if (url === undefined || !url.startsWith(AUTHORIZE_PATH)) return false;
  const next = url.charCodeAt(AUTHORIZE_PATH.length);
  return Number.isNaN(next) || next === 47 /* / */ || next === 63 /* ? */;
}

/** Sent by a gateway that can pass on only 401 and 403 (nginx): every other refusal is then answered 403. */
const REFUSAL_STATUS_HEADER = 'x-algoplane-refusal-status';

/** What became of a call: the one thing answered, logged and counted. */
type Outcome =
  | { allowed: true; principal: Principal; budget: Budget; verdict: Extract<CallVerdict, { allowed: true }> }
  | { allowed: false; refused: Refused; principal?: Principal };

/** Operations as metrics name them: the kind of call, never its path. */
const OPERATIONS: Record<Call['kind'], string> = { algorithm: 'algorithm call', data: 'data call', unknown: NO_OPERATION };

const NOT_A_TARGET = "The call's request target is not one: a path such as /v1/algo/owner/name, without control characters or broken percent-encoding, and no . or .. in a data path.";

/** The longest original path a log line repeats. */
const LOGGED_PATH_LENGTH = 200;

export function createAuthorizer(options: AuthorizerOptions): (request: IncomingMessage, response: ServerResponse) => void {
  const { authenticator, log, trustProxy, deadlineMs, metrics, usage } = options;
  const sheets = readsWithinDeadline(options.sheets, deadlineMs);

  function outcomeOf(headers: HeaderReader, state: RequestState, call: Call): NowOrLater<Outcome> {
    return after(authenticator.authenticate(headers, state.address), (verdict) => {
      if (!verdict.valid) return { allowed: false, refused: gateRefused(verdict.refusal), principal: verdict.principal };
      const { principal } = verdict;
      return after(decideCall(sheets, principal, verdict.caller, call), (decision): Outcome =>
        decision.allowed
          ? { allowed: true, principal, budget: verdict.budget, verdict: decision }
          : { allowed: false, refused: refused(decision.reason, decision.message), principal },
      );
    });
  }

  function answer(response: ServerResponse, state: RequestState, outcome: Outcome, asForbidden: boolean): number {
    if (!outcome.allowed) return writeRefusal(response, state.id, { status: statusOf(outcome.refused.reason), ...outcome.refused }, asForbidden);
    const { verdict } = outcome;
    writeAllowed(response, state.id, outcome.principal, outcome.budget, verdict.algorithm, verdict.algorithm ? verdict.version : undefined);
    return 200;
  }

  function note(state: RequestState, original: Original, operation: string, outcome: Outcome, status: number): void {
    // A call refused before its key was known (no key, a bad one) is no key's to count.
    if (outcome.principal) usage.countCall(outcome.principal.keyId, outcome.allowed ? 'allowed' : 'refused');
    metrics?.answered('authorizer', operation, status, (performance.now() - state.startedAt) / 1000, outcome.allowed ? undefined : outcome.refused.cause);
    if (outcome.allowed && !log.isLevelEnabled('debug')) return;
    const line = {
      requestId: state.id,
      status,
      keyId: outcome.principal?.keyId,
      address: state.address,
      ...('method' in original && { method: original.method, path: loggedPath(original.target) }),
    };
    if (outcome.allowed) log.debug({ ...line, algorithm: outcome.verdict.algorithm?.id }, 'call authorized');
    else log.info({ ...line, reason: outcome.refused.reason }, 'call refused');
  }

  /** Answers at once when the key and the algorithm are cached and budgets are counted here: no promise on the way. */
  function authorize(request: IncomingMessage, response: ServerResponse): void {
    const headers = nodeHeaders(request.headers);
    const state = beginRequest(headers, AUTHORIZE_PATH, { peer: request.socket.remoteAddress, trustProxy });
    const asForbidden = headers.get(REFUSAL_STATUS_HEADER) === '403';
    const original = originalRequest(request.method, request.url ?? AUTHORIZE_PATH, headers);
    const call = 'problem' in original ? null : parseCall(original.method, original.target);
    const operation = call ? OPERATIONS[call.kind] : NO_OPERATION;
    const finish = (outcome: Outcome) => note(state, original, operation, outcome, answer(response, state, outcome, asForbidden));
    const fail = (error: unknown) => {
      // No refusal: the database away (503) or this server's own failure (500), which a gateway must not take for an answer.
      const failure = unexpectedFailure(error, log, state.id, [AUTHORIZE_PATH]);
      if (response.headersSent) return void response.destroy();
      const status = writeRefusal(response, state.id, failure, asForbidden);
      metrics?.answered('authorizer', operation, status, (performance.now() - state.startedAt) / 1000, failure.cause);
    };
    try {
      const outcome: NowOrLater<Outcome> = call
        ? outcomeOf(headers, state, call)
        : { allowed: false, refused: refused('BAD_REQUEST', 'problem' in original ? original.problem : NOT_A_TARGET) };
      if (outcome instanceof Promise) outcome.then(finish).catch(fail);
      else finish(outcome);
    } catch (error) {
      fail(error);
    }
  }

  return authorize;
}

/** `sheets`, with each read that is not answered from the cache bounded by the deadline: a hit sets no timer. */
function readsWithinDeadline(sheets: SheetSource, ms: number): SheetSource {
  const bounded = <T>(value: NowOrLater<T>): NowOrLater<T> => (value instanceof Promise ? withDeadline(value, ms) : value);
  return {
    byName: (owner, name) => bounded(sheets.byName(owner, name)),
    byId: (id) => bounded(sheets.byId(id)),
  };
}

/** The original's path as a log line may repeat it: no query (it may hold anything), and not all of a long one. */
function loggedPath(target: string): string {
  const query = target.indexOf('?');
  const path = query === -1 ? target : target.slice(0, query);
  return path.length > LOGGED_PATH_LENGTH ? `${path.slice(0, LOGGED_PATH_LENGTH)}…` : path;
}
