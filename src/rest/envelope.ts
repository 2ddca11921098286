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
import { ERROR, errorEnvelope, type ErrorKind } from '../gate/algorithmia-errors.js';
import { RefusalError, type Refusal } from '../gate/refusal.js';
import type { RequestState } from '../gate/request.js';

export type { ErrorKind };

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
  return Response.json(errorEnvelope(gate.id, error.code, error.message), { status: error.status, headers: error.headers });
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

