/**
 * The request gate for `/v1`, in the order GraphQL's plugins apply it (docs/ARCHITECTURE.md):
 * preflight, authentication (key, origin, budgets), the body (JSON only, bounded; none means `{}`),
 * Idempotency-Key, the deadline, and one rendering of every refusal and failure in Algorithmia's
 * envelope. The routes then see only requests that passed.
 */
import type { Logger } from '../core/logger.js';
import type { Db } from '../db/connect.js';
import type { KeyCache } from '../auth/key-cache.js';
import type { SheetCache } from '../modules/algorithms/call-sheets.js';
import type { Authenticator } from '../gate/authenticate.js';
import { STATUS_CODES } from 'node:http';
import { bodyText, declaredTooLarge, jsonValueRefusal, parseJson, textRefusal } from '../gate/body.js';
import { applyCors, preflightResponse } from '../gate/cors.js';
import { workWithinDeadline } from '../gate/deadline.js';
import { claimIdempotency, idempotentRequestOf, runClaimed } from '../gate/idempotency.js';
import { RefusalError } from '../gate/refusal.js';
import type { RequestState } from '../gate/request.js';
import type { RestApp, RestContext } from './api.js';
import { asRestError, envelope, restError } from './envelope.js';

export interface RestGateOptions {
  authenticator: Authenticator;
  db: Db;
  keys: KeyCache;
  callSheets: SheetCache;
  log: Logger;
  maxBodyBytes: number;
  deadlineMs: number;
}

const METHODS = ['GET', 'POST', 'PUT', 'DELETE'] as const;
const WRITES = new Set(['POST', 'PUT', 'DELETE']);
/** The one field of a REST answer that holds a secret (a new key's): never stored for a replay. */
const SECRET_FIELD = 'api_key';

/** The body of a POST or PUT as the routes see it: JSON, and `{}` when there is none. */
async function bodyOf(request: Request, maxBytes: number): Promise<unknown> {
  const tooLarge = declaredTooLarge(request, maxBytes);
  if (tooLarge) throw new RefusalError(tooLarge);
  const text = await bodyText(request, maxBytes);
  if (text.trim() === '') return {};
  // Forms are what Algorithmia's Python client 2.0 sends on update: their values cannot be read as
  // the JSON the API takes, so the answer is Algorithmia's "Invalid JSON.", and nothing changes.
  const type = request.headers.get('content-type') ?? '';
  if (!/^application\/json\b/i.test(type)) throw restError(400, 'invalidJson', 'Invalid JSON: request bodies must be application/json.');
  const body = parseJson(text);
  if (body === null || typeof body !== 'object' || Array.isArray(body)) throw restError(400, 'invalidJson', 'Invalid JSON: the body must be a JSON object.');
  const refused = jsonValueRefusal(body);
  if (refused) throw new RefusalError(refused);
  return body;
}

/**
 * `response` with its status's standard reason phrase: Algorithmia's Python client takes a DELETE
 * as done only when the reason is "No Content", and a Fetch Response has none unless given one.
 */
function withReasonPhrase(response: Response): Response {
  if (response.statusText) return response;
  return new Response(response.body, { status: response.status, statusText: STATUS_CODES[response.status], headers: response.headers });
}

/** A URL part percent-decoded, or as it is when its encoding is not UTF-8 (then it holds no NUL either). */
function decodedOrRaw(part: string): string {
  try {
    return decodeURIComponent(part);
  } catch {
    return part;
  }
}

function jsonHeaders(request: Request): Headers {
  const headers = new Headers(request.headers);
  headers.set('content-type', 'application/json');
  headers.delete('content-length');
  headers.delete('transfer-encoding');
  return headers;
}

/** What a replay answers: the first answer, with any secret withheld (shown once, when it was made). */
async function storable(response: Response): Promise<{ status: number; body: unknown }> {
  const text = await response.clone().text();
  if (text === '') return { status: response.status, body: null };
  const body = JSON.parse(text) as unknown;
  const withheld =
    body !== null && typeof body === 'object' && SECRET_FIELD in body ? { ...(body as Record<string, unknown>), [SECRET_FIELD]: null } : body;
  return { status: response.status, body: withheld };
}

const replayOf = (stored: { status: number; body: unknown }) =>
  new Response(stored.body === null ? null : JSON.stringify(stored.body), {
    status: stored.status,
    headers: { ...(stored.body === null ? {} : { 'Content-Type': 'application/json' }), 'Idempotent-Replayed': 'true' },
  });

/** The `/v1` handler: the gate around `app`'s routes, with `publicPaths` answered to anyone. */
export function restGate(app: RestApp, options: RestGateOptions, publicPaths: ReadonlySet<string>) {
  const { authenticator, db, keys, callSheets, log, maxBodyBytes, deadlineMs } = options;
  // Their operations, named once (as routes are, by method and template).
  const publicOperations = new Map([...publicPaths].map((path) => [path, `GET ${path}`]));

  async function answer(request: Request, url: URL, gate: RequestState): Promise<Response> {
    const verdict = await authenticator.authenticate(request.headers, gate.address);
    if (!verdict.valid) {
      gate.corsAllowed = verdict.corsAllowed;
      gate.principal = verdict.principal;
      throw new RefusalError(verdict.refusal);
    }
    const { principal } = verdict;
    Object.assign(gate, { principal, caller: verdict.caller, budget: verdict.budget });
    // Postgres text cannot hold a NUL: refused in paths and queries as in bodies, before any lookup.
    const unstorable = textRefusal(decodedOrRaw(url.pathname + url.search));
    if (unstorable) throw new RefusalError(unstorable);
    const context: RestContext = { principal, gate, db, keys, callSheets, log };
    const method = request.method;
    if (!WRITES.has(method)) return workWithinDeadline(() => app.fetch(request, context), deadlineMs);

    // The routes validate JSON: a POST or PUT reaches them as JSON always (`{}` when bodyless).
    const body = method === 'DELETE' ? null : await bodyOf(request, maxBodyBytes);
    const forwarded = body === null ? request : new Request(request.url, { method, headers: jsonHeaders(request), body: JSON.stringify(body) });
    const run = () => Promise.resolve(app.fetch(forwarded, context));

    const idempotent = idempotentRequestOf(request, () => ({ method, path: url.pathname + url.search, body }));
    if (!idempotent) return workWithinDeadline(run, deadlineMs);
    const claim = await claimIdempotency(db, principal.keyId, idempotent, deadlineMs);
    if (claim.kind === 'refused') throw new RefusalError(claim.refusal);
    if (claim.kind === 'replay') return replayOf(claim.response as { status: number; body: unknown });
    // A refused request changed nothing, so it may be retried.
    return workWithinDeadline(() => runClaimed(db, claim.claim, run, (response) => (response.ok ? storable(response) : undefined)), deadlineMs);
  }

  return async function handle(request: Request, gate: RequestState): Promise<Response> {
    gate.transport = 'rest';
    if (request.method === 'OPTIONS') return preflightResponse(request, METHODS);
    const url = new URL(request.url);
    if (request.method === 'GET' && publicPaths.has(url.pathname)) {
      gate.operation = publicOperations.get(url.pathname);
      return withReasonPhrase(await app.fetch(request));
    }
    // Until the verdict says otherwise, the page may read what comes of it (a 503, say).
    gate.corsAllowed = true;
    let response: Response;
    try {
      response = await answer(request, url, gate);
    } catch (error) {
      response = envelope(asRestError(error, log, gate.id, url.pathname), gate);
    }
    applyCors(request, response, gate.corsAllowed);
    return withReasonPhrase(response);
  };
}
