/**
 * Yoga plugins that put every GraphQL request through the same gate:
 * request id -> key verification (before parsing, so an unauthenticated caller learns nothing about
 * the schema) -> execution -> client-safe errors -> one log line.
 */
import { randomUUID } from 'node:crypto';
import { GraphQLError } from 'graphql';
import type { GraphQLParams, Plugin } from 'graphql-yoga';
import type { Principal } from '../auth/principal.js';
import { callerFromHeaders, ORIGIN_REFUSAL_MESSAGES, originRefusal, type Caller } from '../auth/origin.js';
import { budgetHeaders, type Budget, type RateLimits } from '../auth/rate-limit.js';
import { AuthenticationError, type KeyVerifier } from '../auth/verify.js';
import type { KeyUsageRecorder } from '../auth/usage.js';
import { ServiceError } from '../core/errors.js';
import { isDatabaseUnavailable } from '../db/errors.js';
import type { Logger } from '../logger.js';
import type { GraphQLContext } from './context.js';
import { fromServiceError } from './errors.js';

interface RequestState {
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

/** Per-request state, keyed by the Request object yoga hands every hook. */
export class RequestRegistry {
  private readonly states = new WeakMap<Request, RequestState>();

  begin(request: Request, address = 'unknown'): RequestState {
    // Honour a caller's or proxy's id when it is harmless to echo and log; otherwise mint one.
    const given = request.headers.get('x-request-id');
    const state = { id: given && REQUEST_ID_PATTERN.test(given) ? given : randomUUID(), startedAt: performance.now(), address };
    this.states.set(request, state);
    return state;
  }

  get(request: Request): RequestState {
    return this.states.get(request) ?? this.begin(request);
  }
}

export function useRequestLifecycle(requests: RequestRegistry, log: Logger): Plugin {
  return {
    onRequest({ request, serverContext }) {
      const address = (serverContext as { req?: { socket?: { remoteAddress?: string } } } | undefined)?.req?.socket?.remoteAddress;
      requests.begin(request, address);
    },
    onResponse({ request, response }) {
      const state = requests.get(request);
      response.headers.set('x-request-id', state.id);
      if (state.budget) for (const [name, value] of Object.entries(budgetHeaders(state.budget))) response.headers.set(name, value);
      const url = new URL(request.url);
      log.info(
        {
          requestId: state.id,
          method: request.method,
          path: url.pathname,
          status: response.status,
          ms: Math.round(performance.now() - state.startedAt),
          keyId: state.principal?.keyId,
        },
        'request',
      );
    },
  };
}

/**
 * Key verification and the key's caller-origin rules, before anything is parsed or executed: a
 * refused origin gets 403 and no Access-Control-Allow-Origin, so the browser shows its page nothing.
 */
export function useApiKeyAuthentication(
  requests: RequestRegistry,
  verifier: KeyVerifier,
  usage: KeyUsageRecorder,
  rateLimits: RateLimits,
  deadlineMs: number,
): Plugin {
  const rateLimited = (budget: Budget, what: string) =>
    new GraphQLError(`Too many ${what}: try again in ${budgetHeaders(budget)['RateLimit-Reset']} s.`, {
      extensions: { code: 'RATE_LIMITED', http: { status: 429, headers: budgetHeaders(budget) } },
    });
  /**
   * The principal for a request's key, within its address's budget for failed authentication. A
   * key not known to be good spends from that budget first (so parallel guesses cannot all pass a
   * check made before any is counted), and is refunded when it is good, or absent. A key verified
   * lately and found good is no guess and spends nothing; but an address that has spent its budget
   * is refused all the same, good keys included.
   */
  const authenticate = async (address: string, authorization: string | null): Promise<Principal> => {
    const known = verifier.known(authorization);
    const attempt = await (known ? rateLimits.authAllowed(address) : rateLimits.takeAuthAttempt(address));
    if (!attempt.allowed) throw rateLimited(attempt, 'failed authentications from this address');
    if (known) return known;
    try {
      const principal = await withDeadline(verifier.verify(authorization), deadlineMs);
      await rateLimits.refundAuthAttempt(address);
      return principal;
    } catch (error) {
      if (error instanceof AuthenticationError && error.reason === 'MISSING') await rateLimits.refundAuthAttempt(address);
      if (!(error instanceof AuthenticationError)) throw error;
      throw new GraphQLError(error.message, {
        extensions: {
          code: 'UNAUTHENTICATED',
          http: { status: 401, headers: { 'WWW-Authenticate': 'Simple realm="algoplane"' } },
        },
      });
    }
  };
  return {
    async onParams({ request }) {
      const state = requests.get(request);
      // Browser code may read whatever comes of authentication (401, 429, 503): none of it says
      // anything about a key. Only the key's own origin rules decide below.
      state.corsAllowed = true;
      const authorization = request.headers.get('authorization');
      const principal = await authenticate(state.address, authorization);
      state.caller = callerFromHeaders(request.headers);
      const refusal = originRefusal(principal.permissions.callerOrigin, state.caller);
      if (refusal) {
        // A refused origin must learn nothing: no Access-Control-Allow-Origin, so its page cannot read this.
        state.corsAllowed = false;
        throw new GraphQLError(ORIGIN_REFUSAL_MESSAGES[refusal], {
          extensions: { code: 'FORBIDDEN', http: { status: 403 } },
        });
      }
      state.principal = principal;
      state.budget = await rateLimits.consumeKey(principal.keyId, principal.key.rateLimitPerMinute);
      if (!state.budget.allowed) throw rateLimited(state.budget, 'requests with this key');
      usage.touch(principal.keyId);
    },
  };
}

/**
 * Accepts only JSON POST bodies of at most `maxBytes` (413 beyond). Content-Length, when given, is
 * checked before anything is read; otherwise the body is read only up to the limit. The parser
 * replaces yoga's for POST, so it also refuses batched arrays (batching is off).
 */
export function useBodyLimit(maxBytes: number): Plugin {
  const refuse = (status: number, code: string, message: string) => new GraphQLError(message, { extensions: { code, http: { status } } });
  const tooLarge = () => refuse(413, 'PAYLOAD_TOO_LARGE', 'Request body too large.');
  return {
    onRequest({ request, endResponse, fetchAPI }) {
      if (request.method !== 'POST') return;
      // GraphQL over HTTP posts JSON. Forms and text/plain are what cross-site pages can send
      // without a preflight: refuse them outright.
      const type = request.headers.get('content-type') ?? '';
      const error = !/^application\/json\b/i.test(type)
        ? refuse(415, 'UNSUPPORTED_MEDIA_TYPE', 'POST bodies must be application/json.')
        : Number(request.headers.get('content-length') ?? 0) > maxBytes
          ? tooLarge()
          : undefined;
      if (error) {
        endResponse(
          fetchAPI.Response.json(
            { errors: [{ message: error.message, extensions: { code: error.extensions.code } }] },
            { status: (error.extensions.http as { status: number }).status },
          ),
        );
      }
    },
    onRequestParse({ request, setRequestParser }) {
      if (request.method !== 'POST') return;
      setRequestParser(async (incoming) => {
        let body: unknown;
        const text = await bodyText(incoming, maxBytes, tooLarge);
        try {
          body = JSON.parse(text);
        } catch {
          throw refuse(400, 'BAD_REQUEST', 'POST body is not valid JSON.');
        }
        if (Array.isArray(body)) throw refuse(400, 'BAD_REQUEST', 'Batching is not supported.');
        if (body === null || typeof body !== 'object') throw refuse(400, 'BAD_REQUEST', 'POST body must be a JSON object.');
        return body as GraphQLParams;
      });
    },
  };
}

/**
 * A request body as text, at most `maxBytes` long. With a Content-Length (already checked against
 * the limit, and enforced by Node's HTTP parser) the body is read in one go; without one (chunked),
 * it is counted while it streams and reading stops at the limit.
 */
async function bodyText(request: Request, maxBytes: number, tooLarge: () => Error): Promise<string> {
  const declared = request.headers.get('content-length');
  if (declared !== null && /^\d+$/.test(declared) && Number(declared) <= maxBytes) return request.text();
  const chunks: Uint8Array[] = [];
  let size = 0;
  const reader = request.body?.getReader();
  for (;;) {
    const next = reader ? await reader.read() : { done: true as const, value: undefined };
    if (next.done) break;
    size += next.value.byteLength;
    if (size > maxBytes) {
      await reader!.cancel();
      throw tooLarge();
    }
    chunks.push(next.value);
  }
  return Buffer.concat(chunks).toString('utf8');
}

const MAX_VARIABLE_DEPTH = 32;

/**
 * Whether variables hold a NUL character anywhere (Postgres text cannot store one), or nest deeper
 * than any input type here does. Iterative: a hostile nesting cannot exhaust the stack.
 */
function inspectVariables(variables: unknown): 'ok' | 'nul' | 'too-deep' {
  const pending: [unknown, number][] = [[variables, 0]];
  while (pending.length > 0) {
    const [value, depth] = pending.pop()!;
    if (typeof value === 'string') {
      if (value.includes('\u0000')) return 'nul';
    } else if (value !== null && typeof value === 'object') {
      if (depth >= MAX_VARIABLE_DEPTH) return 'too-deep';
      for (const inner of Object.values(value)) pending.push([inner, depth + 1]);
    }
  }
  return 'ok';
}

/**
 * Refuses NUL characters in the document or the variables with a clear 400, rather than letting
 * them reach the database as an internal error. Runs after authentication.
 */
export function useNoNulCharacters(): Plugin {
  return {
    onParams({ params }) {
      const variables = inspectVariables(params.variables);
      if (variables === 'too-deep') {
        throw new GraphQLError('Variables are nested too deeply.', { extensions: { code: 'BAD_USER_INPUT', http: { status: 400 } } });
      }
      // In the document, NUL can also be written as an escape: \u0000 or \u{0}.
      const inDocument = typeof params.query === 'string' && /\u0000|\\u0000|\\u\{0+\}/i.test(params.query);
      if (inDocument || variables === 'nul') {
        throw new GraphQLError('Strings may not contain the NUL character (\\u0000).', {
          extensions: { code: 'BAD_USER_INPUT', http: { status: 400 } },
        });
      }
    },
  };
}

const PREFLIGHT_HEADERS = {
  'Access-Control-Allow-Methods': 'GET, POST',
  'Access-Control-Allow-Headers': 'authorization, content-type, idempotency-key, x-request-id',
  'Access-Control-Max-Age': '600',
};

/**
 * CORS by key (DESIGN §4.4). A preflight carries no key, so it is answered for any origin and the
 * real request decides. Credentials (cookies) are never allowed: keys travel in a header.
 */
export function useKeyCors(requests: RequestRegistry, graphqlPath: string): Plugin {
  return {
    onRequest({ request, url, endResponse, fetchAPI }) {
      if (request.method !== 'OPTIONS' || url.pathname !== graphqlPath) return;
      const origin = request.headers.get('origin');
      endResponse(
        new fetchAPI.Response(null, {
          status: 204,
          headers: origin ? { ...PREFLIGHT_HEADERS, 'Access-Control-Allow-Origin': origin, Vary: 'Origin' } : { Allow: 'GET, POST, OPTIONS' },
        }),
      );
    },
    onResponse({ request, response }) {
      const origin = request.headers.get('origin');
      if (new URL(request.url).pathname !== graphqlPath || request.method === 'OPTIONS') return;
      response.headers.append('Vary', 'Origin');
      if (origin && requests.get(request).corsAllowed) {
        response.headers.set('Access-Control-Allow-Origin', origin);
        response.headers.set('Access-Control-Expose-Headers', 'x-request-id');
      }
    },
  };
}

/**
 * Bounds how long a request may wait on the database. statement_timeout covers slow statements,
 * but a connection that dies silently mid-query would otherwise hang until TCP gives up (minutes).
 * A request past the deadline answers 503; its statement may still finish afterwards, which is
 * what Idempotency-Key is for.
 */
export class DeadlineExceeded extends Error {
  constructor() {
    super('request deadline exceeded');
    this.name = 'DeadlineExceeded';
  }
}

export function withDeadline<T>(work: Promise<T>, ms: number): Promise<T> {
  let timer: NodeJS.Timeout | undefined;
  const deadline = new Promise<never>((_, reject) => {
    timer = setTimeout(() => reject(new DeadlineExceeded()), ms);
  });
  return Promise.race([work, deadline]).finally(() => clearTimeout(timer));
}

export function useRequestDeadline(ms: number): Plugin {
  return {
    onExecute({ executeFn, setExecuteFn }) {
      setExecuteFn((args) => withDeadline(Promise.resolve(executeFn(args)), ms) as ReturnType<typeof executeFn>);
    },
  };
}

/** Keeps coded errors as they are and turns everything else into a logged, opaque error. */
export function toClientError(error: GraphQLError, log: Logger, requestId: string | undefined): GraphQLError {
  const original = error.originalError;
  if (original instanceof ServiceError) {
    const mapped = fromServiceError(original);
    return new GraphQLError(mapped.message, { nodes: error.nodes, path: error.path, extensions: mapped.extensions });
  }
  const coded = typeof error.extensions?.code === 'string';
  if (coded && (!original || original instanceof GraphQLError)) return error;
  if (isDatabaseUnavailable(original ?? error) || (original ?? error) instanceof DeadlineExceeded) {
    log.warn({ err: original ?? error, requestId }, 'database unavailable');
    return new GraphQLError('The database is unavailable; try again shortly.', {
      nodes: error.nodes,
      path: error.path,
      extensions: { code: 'SERVICE_UNAVAILABLE', requestId, http: { status: 503, headers: { 'Retry-After': '5' } } },
    });
  }
  if (!original) return error; // parse and validation errors: about the document, safe to show
  log.error({ err: original, requestId, path: error.path }, 'unexpected error');
  return new GraphQLError('Unexpected error.', {
    nodes: error.nodes,
    path: error.path,
    extensions: { code: 'INTERNAL_SERVER_ERROR', requestId },
  });
}

/** Shapes execution errors while the request's id is at hand (yoga's masking sees no context). */
export function useClientErrors(log: Logger): Plugin<GraphQLContext> {
  return {
    onExecute() {
      return {
        onExecuteDone({ args, result, setResult }) {
          if (Symbol.asyncIterator in result || !result.errors?.length) return;
          const { requestId } = args.contextValue;
          setResult({ ...result, errors: result.errors.map((e) => toClientError(e, log, requestId)) });
        },
      };
    },
  };
}
