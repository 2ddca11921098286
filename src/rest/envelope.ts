/**
 * Algorithmia's error envelope, `{"error":{"id","code","message"}}` on every non-2xx answer
 * (docs/REST.md): `id` is the request id, `code` Algorithmia's number for the kind of error. Gate
 * refusals, service errors and unexpected failures all end up here, so every transport-level
 * outcome has exactly one REST rendering.
 */
import { HTTPException } from 'hono/http-exception';
import { PermissionDenied } from '../core/errors.js';
import type { Logger } from '../core/logger.js';
import { unexpectedFailure } from '../gate/failures.js';
import { RefusalError, type Refusal } from '../gate/refusal.js';
import type { RequestState } from '../gate/request.js';

/**
 * Algorithmia's error codes (its OpenAPI spec's `Error.code` enum) and the messages its docs give
 * them. Only codes of that enum are used, so its clients' schemas hold; where it has none (429,
 * 413, 503), the status and the message say what happened.
 */
export const ERROR = {
  algorithmNotFound: { code: 1000, message: 'The requested algorithm was not found.' },
  algorithmNameTaken: { code: 1002, message: 'An algorithm with the requested name already exists.' },
  versionNotFound: { code: 1014, message: 'The requested version was not found.' },
  notAuthorized: { code: 2001, message: 'Caller is not authorized to perform the operation.' },
  notAuthenticated: { code: 2002, message: 'Unknown or invalid API key.' },
  invalidJson: { code: 2013, message: 'Invalid JSON.' },
  userNotFound: { code: 3000, message: 'The requested user was not found.' },
  malformedUser: { code: 3001, message: 'Malformed user JSON in request.' },
  usernameTaken: { code: 3003, message: 'The username is already taken.' },
  emailTaken: { code: 3004, message: 'The email address is already taken by a different username.' },
  missingUserFields: { code: 3005, message: 'Not all required fields have been provided.' },
  usernameMismatch: { code: 3007, message: 'The username in the request body does not match the username in the request path.' },
  organizationNotFound: { code: 3100, message: 'The requested organization was not found.' },
  organizationNameTaken: { code: 3101, message: 'An organization already exists with this name.' },
  lastOwner: { code: 3102, message: 'Unable to remove the last owner of an organization.' },
  malformedOrganization: { code: 3103, message: 'Malformed organization JSON in request.' },
  organizationTypeNotFound: { code: 3108, message: 'The requested organization type was not found.' },
  invalidMarker: { code: 5002, message: 'Invalid marker used.' },
  invalidLimit: { code: 5003, message: 'Limit must be between 1 and the system-configured page size limit.' },
  invalidInput: { code: 6001, message: 'The request is invalid.' },
  /** Algorithmia's codes have none for keys (its clients never read one): the status and message say it. */
  apiKeyNotFound: { code: 2015, message: 'The requested API key was not found.' },
  /** Also what the gate's refusals without a code of their own are (a budget spent, a body too large): the status and message say which. */
  invalidRequest: { code: 2015, message: 'Invalid request.' },
  /** Also a database that is away (503, with Retry-After): Algorithmia's spec has no code of its own for it. */
  internal: { code: 5001, message: 'There was an internal error.' },
} as const satisfies Record<string, { code: number; message: string }>;

export type ErrorKind = keyof typeof ERROR;

/** An answer a handler gives instead of its result: thrown, rendered once by the router. */
export class RestError extends Error {
  constructor(
    readonly status: number,
    readonly code: number,
    message: string,
    readonly headers?: Record<string, string>,
    /** When it refuses the request, why, for metrics (`Refusal.cause`); never sent. */
    readonly refusalCause?: string,
  ) {
    super(message);
    this.name = 'RestError';
  }
}

/** `kind`'s answer with `status`, its docs message unless a more precise one is given. */
export const restError = (status: number, kind: ErrorKind, message?: string, headers?: Record<string, string>) =>
  new RestError(status, ERROR[kind].code, message ?? ERROR[kind].message, headers);

/** `error` as the request's answer; a refusal is noted on the request's state. */
export function envelope(error: RestError, gate: RequestState): Response {
  gate.refusedFor ??= error.refusalCause;
  return Response.json({ error: { id: gate.id, code: error.code, message: error.message } }, { status: error.status, headers: error.headers });
}

/** 403 for a key whose plane or permissions do not allow the operation. */
export const notAuthorized = () => new RestError(403, ERROR.notAuthorized.code, ERROR.notAuthorized.message, undefined, 'forbidden');

/** Which Algorithmia code each gate refusal is (its code is the gate's, its message says what to do). */
const REFUSAL_KINDS: Record<string, ErrorKind> = {
  UNAUTHENTICATED: 'notAuthenticated',
  FORBIDDEN: 'notAuthorized',
  BAD_REQUEST: 'invalidJson',
  BAD_USER_INPUT: 'invalidInput',
  SERVICE_UNAVAILABLE: 'internal',
  INTERNAL_SERVER_ERROR: 'internal',
};

export const fromRefusal = (refusal: Refusal): RestError =>
  new RestError(refusal.status, ERROR[REFUSAL_KINDS[refusal.code] ?? 'invalidRequest'].code, refusal.message, refusal.headers, refusal.cause);

/** Any error as the REST answer a client may see; unexpected ones are logged under the request id. */
export function asRestError(error: unknown, log: Logger, requestId: string, path: string): RestError {
  if (error instanceof RestError) return error;
  if (error instanceof RefusalError) return fromRefusal(error.refusal);
  if (error instanceof PermissionDenied) return notAuthorized();
  if (error instanceof HTTPException && error.status < 500) return restError(error.status, 'invalidRequest', error.message);
  return fromRefusal(unexpectedFailure(error, log, requestId, [path]));
}

