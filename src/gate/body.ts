/**
 * Request bodies: JSON only, at most `maxBytes`, and no value Postgres could not store or a walk
 * could not finish. Forms and text/plain are what cross-site pages can send without a preflight,
 * so they are refused outright.
 */
import { refusal, RefusalError, type Refusal } from './refusal.js';

const tooLarge = () => refusal(413, 'PAYLOAD_TOO_LARGE', 'Request body too large.');
const badRequest = (message: string) => refusal(400, 'BAD_REQUEST', message);

/**
 * What can be refused before a body is read: its media type, and a declared length over the limit.
 * Nothing when the body may be read.
 */
export function bodyPrecheck(request: Request, maxBytes: number): Refusal | undefined {
  const type = request.headers.get('content-type') ?? '';
  if (!/^application\/json\b/i.test(type)) return refusal(415, 'UNSUPPORTED_MEDIA_TYPE', 'POST bodies must be application/json.');
  return declaredTooLarge(request, maxBytes);
}

/** A body whose declared length is over the limit, refused before it is read. */
export function declaredTooLarge(request: Request, maxBytes: number): Refusal | undefined {
  return Number(request.headers.get('content-length') ?? 0) > maxBytes ? tooLarge() : undefined;
}

export const INVALID_JSON = badRequest('POST body is not valid JSON.');

/** `text` as JSON; throws a RefusalError. */
export function parseJson(text: string): unknown {
  try {
    return JSON.parse(text);
  } catch {
    throw new RefusalError(INVALID_JSON);
  }
}

/** The body as a JSON object (arrays and scalars refused), read only up to `maxBytes`; throws a RefusalError. */
export async function readJsonObject(request: Request, maxBytes: number): Promise<Record<string, unknown>> {
  const body = parseJson(await bodyText(request, maxBytes));
  if (Array.isArray(body)) throw new RefusalError(badRequest('Batching is not supported.'));
  if (body === null || typeof body !== 'object') throw new RefusalError(badRequest('POST body must be a JSON object.'));
  return body as Record<string, unknown>;
}

/**
 * A request body as text, at most `maxBytes` long. With a Content-Length (already checked against
 * the limit, and enforced by Node's HTTP parser) the body is read in one go; without one (chunked),
 * it is counted while it streams and reading stops at the limit.
 */
export async function bodyText(request: Request, maxBytes: number): Promise<string> {
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
      throw new RefusalError(tooLarge());
    }
    chunks.push(next.value);
  }
  return Buffer.concat(chunks).toString('utf8');
}

const MAX_JSON_DEPTH = 32;

export const NUL_REFUSAL = refusal(400, 'BAD_USER_INPUT', 'Strings may not contain the NUL character (\\u0000).');
export const LONE_SURROGATE_REFUSAL = refusal(
  400,
  'BAD_USER_INPUT',
  'Strings must be well-formed Unicode: a UTF-16 surrogate (\\ud800 to \\udfff) must be half of a pair.',
);
const TOO_DEEP_REFUSAL = refusal(400, 'BAD_USER_INPUT', 'Input is nested too deeply.');

/**
 * Why a string may not go further: Postgres text cannot store a NUL, and a lone surrogate has no
 * UTF-8 form (drivers store U+FFFD in its place, while jsonb refuses its escape, so one half of a
 * write would pass and the other fail).
 */
export function textRefusal(text: string): Refusal | undefined {
  if (text.includes('\u0000')) return NUL_REFUSAL;
  if (!text.isWellFormed()) return LONE_SURROGATE_REFUSAL;
  return undefined;
}

/**
 * Why a parsed JSON value may not go further: a string, value or key, that Postgres could not
 * store (`textRefusal`), or nesting deeper than any input here has. Iterative, so a hostile nesting
 * cannot exhaust the stack.
 */
export function jsonValueRefusal(value: unknown): Refusal | undefined {
  const pending: [unknown, number][] = [[value, 0]];
  while (pending.length > 0) {
    const [next, depth] = pending.pop()!;
    if (typeof next === 'string') {
      const refused = textRefusal(next);
      if (refused) return refused;
    } else if (next !== null && typeof next === 'object') {
      if (depth >= MAX_JSON_DEPTH) return TOO_DEEP_REFUSAL;
      for (const [key, inner] of Object.entries(next)) pending.push([key, depth + 1], [inner, depth + 1]);
    }
  }
  return undefined;
}
