/**
 * The request a gateway asks about, as it tells it:
 *
 *   nginx auth_request   the subrequest goes to /v1/authorize with X-Original-Method and
 *                        X-Original-URI (`$request_method`, `$request_uri`)
 *   Envoy ext_authz      the check request has the original method, and the original path behind
 *                        the prefix: /v1/authorize/v1/algo/a/b/1.0.0
 *
 * X-Original-URI wins when present (and then needs X-Original-Method). The gateway must set both
 * itself, never pass on a caller's: whoever writes them chooses the call that is authorized.
 */
import type { HeaderReader } from '../gate/headers.js';

export const AUTHORIZE_PATH = '/v1/authorize';

/** Longer than any call Algorithmia's clients make; longer than nginx's default large header buffer. */
export const MAX_ORIGINAL_LENGTH = 8 * 1024;

/** An HTTP method: a token, and none is this long. */
const METHOD = /^[!#$%&'*+.^_`|~0-9A-Za-z-]{1,32}$/;

export type Original = { method: string; target: string } | { problem: string };

const MISSING: Original = {
  problem: `Which call to authorize is missing: send X-Original-Method and X-Original-URI, or the call's path after ${AUTHORIZE_PATH}.`,
};
const TOO_LONG: Original = { problem: `The call's request target is longer than ${MAX_ORIGINAL_LENGTH} characters.` };
const NO_METHOD: Original = { problem: 'X-Original-Method must be the call\'s HTTP method (required with X-Original-URI).' };

/** The original method and request target (path and query) of the call, or what is wrong with how they were given. */
export function originalRequest(method: string | undefined, url: string, headers: HeaderReader): Original {
  const uri = headers.get('x-original-uri');
  if (uri !== null) {
    const originalMethod = headers.get('x-original-method');
    if (originalMethod === null || !METHOD.test(originalMethod)) return NO_METHOD;
    return uri.length > MAX_ORIGINAL_LENGTH ? TOO_LONG : { method: originalMethod, target: uri };
  }
  const target = url.slice(AUTHORIZE_PATH.length);
  if (!target.startsWith('/')) return MISSING;
  return target.length > MAX_ORIGINAL_LENGTH ? TOO_LONG : { method: method ?? 'GET', target };
}
