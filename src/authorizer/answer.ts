/**
 * What the authorizer answers (docs/AUTHORIZER.md lists every header and reason): 200 and the
 * headers a gateway passes on, or a refusal in Algorithmia's error envelope, whose body is also
 * in a header because nginx cannot pass a subrequest's body on. Headers are written once, with
 * writeHead: no Fetch objects, no header map built up call by call.
 */
import type { ServerResponse } from 'node:http';
import { encodeGlobalID } from '@pothos/plugin-relay';
import type { Principal } from '../auth/principal.js';
import { budgetHeaders, type Budget } from '../auth/rate-limit.js';
import { errorEnvelope, ERROR, type ErrorKind } from '../gate/algorithmia-errors.js';
import type { Refusal } from '../gate/refusal.js';
import type { CallSheet, CallableVersion } from '../modules/algorithms/model.js';
import { CALL_REFUSALS } from '../modules/calls/model.js';

/** Every reason the authorizer gives, one closed list: the calls' own (`algorithmAccess`'s among them), and the gate's. */
export const AUTHORIZE_REASONS = ['BAD_REQUEST', 'UNAUTHENTICATED', ...CALL_REFUSALS, 'RATE_LIMITED'] as const;
export type AuthorizeReason = (typeof AUTHORIZE_REASONS)[number];

/** A refusal as the authorizer answers it. */
export interface Refused {
  reason: AuthorizeReason;
  message: string;
  /** The gate's, when it refused: Retry-After and RateLimit-* on 429, WWW-Authenticate on 401. */
  headers?: Readonly<Record<string, string>>;
  /** For metrics (never sent): the gate's finer cause, else the reason in lower case. */
  cause: string;
}

export const statusOf = (reason: AuthorizeReason): number =>
  reason === 'BAD_REQUEST' ? 400 : reason === 'UNAUTHENTICATED' ? 401 : reason === 'RATE_LIMITED' ? 429 : 403;

/** Which of Algorithmia's error codes each reason's envelope carries. */
const ENVELOPE_KIND = {
  BAD_REQUEST: 'invalidRequest',
  UNAUTHENTICATED: 'notAuthenticated',
  RATE_LIMITED: 'invalidRequest',
  ADMIN_KEY: 'notAuthorized',
  ORIGIN_NOT_ALLOWED: 'notAuthorized',
  NOT_IN_ACL: 'notAuthorized',
  NOT_FOUND: 'algorithmNotFound',
  NO_PUBLIC_VERSION: 'versionNotFound',
  VERSION_NOT_FOUND: 'versionNotFound',
  LATEST_PRIVATE_NOT_ALLOWED: 'notAuthorized',
  DATA_ACCESS_DENIED: 'notAuthorized',
  NOT_OWN_DATA: 'notAuthorized',
  UNKNOWN_CALL: 'notAuthorized',
} as const satisfies Record<AuthorizeReason, ErrorKind>;

const CAUSES = Object.fromEntries(AUTHORIZE_REASONS.map((reason) => [reason, reason.toLowerCase()])) as Record<AuthorizeReason, string>;

/** A refusal of the calls service, or of the authorizer itself. */
export const refused = (reason: AuthorizeReason, message: string): Refused => ({ reason, message, cause: CAUSES[reason] });

/** Which reason each of the gate's refusals is: its authentication refuses only these. */
const GATE_REASONS: Readonly<Record<string, AuthorizeReason>> = {
  UNAUTHENTICATED: 'UNAUTHENTICATED',
  RATE_LIMITED: 'RATE_LIMITED',
  FORBIDDEN: 'ORIGIN_NOT_ALLOWED',
};

export const gateRefused = (refusal: Refusal): Refused => ({
  reason: GATE_REASONS[refusal.code] ?? 'BAD_REQUEST',
  message: refusal.message,
  headers: refusal.headers,
  cause: refusal.cause ?? CAUSES.BAD_REQUEST,
});

/** The key's global id (GraphQL `ApiKey.id`), made once per verified key. */
const keyIds = new WeakMap<Principal, string>();
function keyIdOf(principal: Principal): string {
  let id = keyIds.get(principal);
  if (id === undefined) keyIds.set(principal, (id = encodeGlobalID('ApiKey', principal.keyId)));
  return id;
}

/** 200, no body, and what the gateway may pass on: who calls, with what data access, and which version the call reaches. */
export function writeAllowed(response: ServerResponse, requestId: string, principal: Principal, budget: Budget, algorithm: CallSheet | null, version: CallableVersion | undefined): void {
  const limits = budgetHeaders(budget);
  const headers: Record<string, string> = {
    'x-request-id': requestId,
    'x-algoplane-key-id': keyIdOf(principal),
    'x-algoplane-owner': principal.ownerName,
    'x-algoplane-data-access': principal.permissions.dataAccess,
    'ratelimit-limit': limits['RateLimit-Limit']!,
    'ratelimit-remaining': limits['RateLimit-Remaining']!,
    'ratelimit-reset': limits['RateLimit-Reset']!,
    'content-length': '0',
  };
  if (algorithm && version) {
    headers['x-algoplane-algorithm'] = `${algorithm.ownerName}/${algorithm.name}`;
    headers['x-algoplane-version'] = version.semanticVersion;
  }
  response.writeHead(200, headers).end();
}

/** JSON as ASCII, so it fits a header: what is not is written as \u escapes (JSON reads them back the same). */
const ascii = (json: string) => (/[^\x20-\x7e]/.test(json) ? json.replace(/[^\x20-\x7e]/g, (c) => `\\u${c.charCodeAt(0).toString(16).padStart(4, '0')}`) : json);

/**
 * A refusal (or, without a reason, a failure of this server's own: 500, or 503 for a database that is
 * away). `asForbidden`: the gateway asked, with X-Algoplane-Refusal-Status, for refusals other than
 * 401 as 403 (nginx's auth_request passes on only those); X-Algoplane-Status keeps the real one.
 * Returns the status answered.
 */
export function writeRefusal(
  response: ServerResponse,
  requestId: string,
  refusal: { status: number; reason?: AuthorizeReason; message: string; headers?: Readonly<Record<string, string>> },
  asForbidden: boolean,
): number {
  const { status, reason } = refusal;
  const code = reason ? ERROR[ENVELOPE_KIND[reason]].code : status >= 500 ? ERROR.internal.code : ERROR.invalidRequest.code;
  const body = ascii(JSON.stringify(errorEnvelope(requestId, code, refusal.message)));
  const answered = asForbidden && status !== 401 && status < 500 ? 403 : status;
  response
    .writeHead(answered, {
      ...refusal.headers,
      'x-request-id': requestId,
      'x-algoplane-status': String(status),
      ...(reason && { 'x-algoplane-reason': reason }),
      'x-algoplane-error': body,
      'content-type': 'application/json',
      'content-length': String(body.length),
    })
    .end(body);
  return answered;
}
