/**
 * What every REST route is built from: the router type, its per-request context (the gate's state
 * and the services' dependencies), and `serve`, which registers a route with its plane and the
 * way its service errors read in Algorithmia's envelope. Routes live in their modules
 * (`modules/<m>/rest.ts`); routes.ts gathers them.
 */
import { OpenAPIHono, z, type RouteConfig, type RouteHandler } from '@hono/zod-openapi';
import type { Context, MiddlewareHandler, Next } from 'hono';
import type { ZodError } from 'zod';
import { requirePermission } from '../auth/permissions.js';
import type { Principal } from '../auth/principal.js';
import type { KeyCache } from '../auth/key-cache.js';
import type { UserErrorData } from '../core/errors.js';
import { ServiceError } from '../core/errors.js';
import type { Logger } from '../core/logger.js';
import type { Db } from '../db/connect.js';
import type { RequestState } from '../gate/request.js';
import type { SheetCache } from '../modules/algorithms/call-sheets.js';
import { notAuthorized, restError, RestError, type ErrorKind } from './envelope.js';

export { z };

/** What a handler has of its request besides its input: who calls, and the services' dependencies. */
export interface RestContext {
  principal: Principal;
  gate: RequestState;
  db: Db;
  keys: KeyCache;
  /** This instance's algorithm call sheets, which algorithm changes invalidate. */
  callSheets: SheetCache;
  log: Logger;
}

export type RestEnv = { Bindings: RestContext };
export type RestApp = OpenAPIHono<RestEnv>;

/** Where the request came to: `self_link`s point there, so they work behind any host name. */
export const originOf = (c: Context<RestEnv>): string => new URL(c.req.url).origin;

/** Which keys may call a route: the two planes of the security model, or either. */
export type Plane = 'standard' | 'admin' | 'any';

/**
 * How a route's service errors read in REST: the status and Algorithmia kind of each user error.
 * Unlisted INVALID is 400 `invalid`; FORBIDDEN is 403 `notAuthorized`; QUOTA_EXCEEDED is 409
 * `invalidRequest` (2015) on every route.
 */
export interface ErrorMapping {
  /** The kind a refused input is (6001 for algorithms, 3001 for users, 3103 for organizations). */
  invalid: ErrorKind;
  /** The kind a body lacking a required field is, where it has one of its own (3005 for users); else `invalid`. */
  missing?: ErrorKind;
  /** The kind NOT_FOUND is, by the service's field (`'*'` for any other). */
  notFound: Partial<Record<string, ErrorKind>> & { '*': ErrorKind };
  /** Status and kind of TAKEN and CONFLICT errors, by the service's field (`'*'` for any other). */
  conflict?: Partial<Record<string, [status: number, kind: ErrorKind]>>;
  /** REST names of the service's input fields, by dotted path, where not just snake_case. */
  fields?: Record<string, string>;
}

const snakeCase = (name: string) => name.replace(/[A-Z]/g, (letter) => `_${letter.toLowerCase()}`);

/** A service field path as the REST body names it. */
function restField(path: readonly string[], fields: Record<string, string> = {}): string {
  const dotted = path.join('.');
  return fields[dotted] ?? path.map((segment) => fields[segment] ?? snakeCase(segment)).join('.');
}

/** A service's message, which starts with its field's path, with the REST name in its place. */
function restMessage(error: UserErrorData, fields: Record<string, string> | undefined): string {
  if (!error.field) return error.message;
  const prefix = `${error.field.join('.')}: `;
  const detail = error.message.startsWith(prefix) ? error.message.slice(prefix.length) : error.message;
  return `${restField(error.field, fields)}: ${detail}`;
}

/** A service's refusal as the REST answer `mapping` says it is. */
export function fromServiceError(error: ServiceError, mapping: ErrorMapping): RestError {
  const [first] = error.errors;
  const field = first?.field?.join('.') ?? '*';
  switch (first?.code) {
    case 'FORBIDDEN':
      return notAuthorized();
    // Authorized and well formed, but the owner's (or algorithm's) state refuses it until something
    // is removed: a conflict, not 403 (clients read that as the key's fault) nor 429 (waiting
    // never helps). Algorithmia's codes have none for quotas: 2015, and the message names it.
    case 'QUOTA_EXCEEDED':
      return restError(409, 'invalidRequest', first.message);
    case 'NOT_FOUND': {
      const kind = mapping.notFound[field] ?? mapping.notFound['*'];
      return restError(404, kind);
    }
    case 'TAKEN':
    case 'CONFLICT': {
      const [status, kind] = mapping.conflict?.[field] ?? mapping.conflict?.['*'] ?? [409, mapping.invalid];
      return restError(status, kind, kind === mapping.invalid ? restMessage(first, mapping.fields) : undefined);
    }
    default:
      return restError(400, mapping.invalid, error.errors.map((e) => restMessage(e, mapping.fields)).join('; '));
  }
}

const isMissing = (issue: ZodError['issues'][number]) => issue.code === 'invalid_type' && /received undefined$/.test(issue.message);

/** A bound's issue in the words every bound uses, naming the limit (zod's own reads "Too big: expected …"). */
function issueMessage(issue: ZodError['issues'][number]): string {
  if (isMissing(issue)) return 'is required';
  if (issue.code === 'too_big' && (issue.origin === 'string' || issue.origin === 'array')) {
    return `must be at most ${issue.maximum} ${issue.origin === 'string' ? 'characters' : 'entries'}`;
  }
  return issue.message;
}

/** The message of a request that does not fit a route's schema, naming the field and the rule. */
export function validationMessage(error: ZodError): string {
  return error.issues
    .slice(0, 5)
    .map((issue) => `${issue.path.length > 0 ? issue.path.join('.') : 'body'}: ${issueMessage(issue)}`)
    .join('; ');
}

/** The kind of a request that does not fit a route's schema: `missing` when a required field is absent. */
const refusedInput = (error: ZodError, errors: ErrorMapping): ErrorKind =>
  errors.missing && error.issues.some(isMissing) ? errors.missing : errors.invalid;

export function createRestApp(): RestApp {
  return new OpenAPIHono<RestEnv>({
    // Routes without a hook of their own (see `serve`): the request does not fit the route.
    defaultHook: (result) => {
      if (!result.success) throw restError(400, 'invalidInput', validationMessage(result.error));
    },
  });
}

/** The answer every route may give besides its own: Algorithmia's error envelope. */
export const errorSchema = z
  .object({
    error: z.object({
      id: z.string().openapi({ description: 'The request id (also the X-Request-Id header): quote it to support.' }),
      code: z.number().int().openapi({ description: "Algorithmia's error code." }),
      message: z.string(),
    }),
  })
  .openapi('Error');

export const errorResponse = (description: string) => ({ description, content: { 'application/json': { schema: errorSchema } } });

/** A route's JSON answer, for its `responses`. */
export const jsonResponse = <T extends z.ZodType>(schema: T, description: string) => ({ description, content: { 'application/json': { schema } } });

/** A route's JSON body, for its `request` (a bodyless POST or PUT arrives as `{}`). */
export const jsonBody = <T extends z.ZodType>(schema: T) => ({ body: { required: true, content: { 'application/json': { schema } } } });

/** The error answers of a route on `plane`, besides its own. */
export const standardErrors = {
  401: errorResponse('No key, or an unknown, revoked, disabled or expired one.'),
  403: errorResponse('The key may not do this (its plane, its permissions, its origin, or the owner).'),
  429: errorResponse("The key's budget or its owner's (requests, or cost points: a REST request costs 1), or the address's failed-authentication budget, is spent: see Retry-After."),
  500: errorResponse('Unexpected: the details are logged under the request id (the error envelope\'s `id`), never sent.'),
  503: errorResponse('The database is unavailable; try again shortly (see Retry-After).'),
} as const;

/** What the gate may answer to a write besides the route's own: its body (POST, PUT) and its Idempotency-Key. */
function gateErrors(method: string) {
  const write = method === 'post' || method === 'put' || method === 'delete';
  const body = method === 'post' || method === 'put';
  return {
    ...(write && {
      400: errorResponse(body ? 'The body is not a JSON object, or holds a NUL character or nesting too deep; or a malformed Idempotency-Key.' : 'A malformed Idempotency-Key.'),
      409: errorResponse(
        'A request with this Idempotency-Key is still running (retry shortly); or it ran and its answer was too large to keep for replays (with `Idempotent-Replayed: true`: read the result instead).',
      ),
      422: errorResponse('This Idempotency-Key was used with a different request.'),
      429: errorResponse(
        "The key's request budget, the address's failed-authentication budget, or the key's live Idempotency-Keys (MAX_IDEMPOTENCY_RECORDS_PER_KEY) are spent: see Retry-After.",
      ),
    }),
    ...(body && { 413: errorResponse('The body is larger than the server takes.') }),
  };
}

const SECURITY: Record<Plane, Record<string, string[]>[]> = {
  standard: [{ ApiKeyAuth: [] }],
  admin: [{ AdminApiKeyAuth: [] }],
  any: [{ ApiKeyAuth: [] }, { AdminApiKeyAuth: [] }],
};

export interface RestRoute<R extends RouteConfig> {
  route: R & { operationId: string };
  plane: Plane;
  errors: ErrorMapping;
}

/**
 * Registers `handler` for `route`: the key's plane is checked first (the same permission rule as
 * GraphQL's), input that does not fit the route is `errors.invalid`, and service errors read as
 * `errors` says.
 */
export function serve<R extends RouteConfig>(app: RestApp, { route, plane, errors }: RestRoute<R>, handler: RouteHandler<R, RestEnv>): void {
  // Metrics name the operation by the route's method and template, never by the path asked for.
  const operation = `${route.method.toUpperCase()} ${route.path}`;
  // The plane before the input is validated: a key on the wrong plane learns nothing about the route's input.
  const enter: MiddlewareHandler<RestEnv> = async (c, next) => {
    c.env.gate.operation = operation;
    if (plane !== 'any') requirePermission(c.env.principal, route.operationId, plane);
    await next();
  };
  const wrapped = (async (c: Parameters<RouteHandler<R, RestEnv>>[0], next: Next) => {
    try {
      return await handler(c, next);
    } catch (error) {
      throw error instanceof ServiceError ? fromServiceError(error, errors) : error;
    }
  }) as unknown as RouteHandler<R, RestEnv>;
  const registered = { ...route, middleware: [enter], security: SECURITY[plane], responses: { ...standardErrors, ...gateErrors(route.method), ...route.responses } } as R;
  app.openapi(registered, wrapped, (result) => {
    if (result.success) return undefined;
    throw result.target === 'param' ? restError(404, errors.notFound['*']) : restError(400, refusedInput(result.error, errors), validationMessage(result.error));
  });
}

