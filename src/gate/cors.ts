/**
 * CORS by key (README, "Security model"). A preflight carries no key, so it is answered for any
 * origin and the real request decides. Credentials (cookies) are never allowed: keys travel in a
 * header, and yoga's default (reflect any origin *with* credentials) would undo that.
 */
const PREFLIGHT_HEADERS = {
  'Access-Control-Allow-Headers': 'authorization, content-type, idempotency-key, x-request-id',
  'Access-Control-Max-Age': '600',
};

/** The answer to an OPTIONS request for an endpoint serving `methods`: allowed for any origin, enforced on the real request. */
export function preflightResponse(request: Request, methods: readonly string[]): Response {
  const origin = request.headers.get('origin');
  return new Response(null, {
    status: 204,
    headers: origin
      ? { ...PREFLIGHT_HEADERS, 'Access-Control-Allow-Methods': methods.join(', '), 'Access-Control-Allow-Origin': origin, Vary: 'Origin' }
      : { Allow: [...methods, 'OPTIONS'].join(', ') },
  });
}

/**
 * Our response headers a page needs: a browser hides every header outside the CORS-safelisted few
 * unless it is named here, so without them a page could not pace itself by its budget, wait out a
 * 429, quote a request id, or tell a replay from a first answer.
 */
const EXPOSED_HEADERS = [
  'x-request-id',
  'ratelimit-limit',
  'ratelimit-remaining',
  'ratelimit-reset',
  'retry-after',
  'idempotent-replayed',
].join(', ');

/** Lets the calling page read `response` when the gate allowed its origin; it always varies by Origin. */
export function applyCors(request: Request, response: Response, allowed: boolean | undefined): void {
  const origin = request.headers.get('origin');
  // Not `append`: on whatwg-node's headers it builds a map, and every response then leaves through
  // node's slower per-header path rather than one writeHead.
  const vary = response.headers.get('vary');
  response.headers.set('vary', vary ? `${vary}, Origin` : 'Origin');
  if (origin && allowed) {
    response.headers.set('Access-Control-Allow-Origin', origin);
    response.headers.set('Access-Control-Expose-Headers', EXPOSED_HEADERS);
  }
}
