/**
 * `Idempotency-Key` on a write: the first response is stored and replayed for retries of the same
 * request (same API key, same Idempotency-Key, same body) for 24 hours. The same Idempotency-Key
 * with a different body is refused (422); a retry while the first is still running gets 409, so
 * duplicates never both execute. What counts as "ran" and what is stored is the transport's to
 * say (a GraphQL mutation, a REST POST); claiming, refusing, recording and the limits on records
 * (modules/idempotency/service.ts) are the same for all.
 */
import { createHash } from 'node:crypto';
import { beforeRequestCommits, type Db } from '../db/connect.js';
import {
  claimIdempotencyKey,
  completeIdempotencyKey,
  markClaimWorkCommitted,
  releaseIdempotencyKey,
  type ClaimedKey,
} from '../modules/idempotency/service.js';
import { apartFromRequest } from '../core/request-work.js';
import { withDeadline } from './deadline.js';
import { refusal, type Refusal } from './refusal.js';

const KEY_PATTERN = /^[\x21-\x7e]{1,255}$/;

export interface IdempotentRequest {
  key: string;
  /** A hash of what makes two requests "the same" for this transport. */
  requestHash: string;
}

/** The request's Idempotency-Key with a hash of `body`, hashed only when the header is sent. */
export function idempotentRequestOf(request: Request, body: () => unknown): IdempotentRequest | undefined {
  const key = request.headers.get('idempotency-key');
  if (key === null) return undefined;
  return { key, requestHash: createHash('sha256').update(JSON.stringify(body())).digest('hex') };
}

export type ClaimOutcome = { kind: 'claimed'; claim: ClaimedKey } | { kind: 'replay'; response: unknown } | { kind: 'refused'; refusal: Refusal };

/**
 * Claims the request's Idempotency-Key for the API key `apiKeyId`, or says why it may not run. A
 * claim left unfinished for twice the request deadline is its dead process's (killed, say): no
 * request runs that long (gate/deadline.ts), so a retry may take it over.
 */
export async function claimIdempotency(db: Db, apiKeyId: string, request: IdempotentRequest, deadlineMs: number): Promise<ClaimOutcome> {
  if (!KEY_PATTERN.test(request.key)) {
    return { kind: 'refused', refusal: refusal(400, 'BAD_USER_INPUT', 'Idempotency-Key must be 1 to 255 visible ASCII characters.') };
  }
  const claim = await withDeadline(claimIdempotencyKey(db, apiKeyId, request.key, request.requestHash, 2 * deadlineMs), deadlineMs);
  switch (claim.kind) {
    case 'claimed':
      return claim;
    case 'replay':
      return claim;
    case 'different-request':
      return { kind: 'refused', refusal: refusal(422, 'IDEMPOTENCY_KEY_REUSED', 'This Idempotency-Key was used with a different request.') };
    case 'in-progress':
      return { kind: 'refused', refusal: refusal(409, 'IDEMPOTENCY_IN_PROGRESS', 'A request with this Idempotency-Key is still running; retry shortly.') };
    case 'not-stored':
      return { kind: 'refused', refusal: notStoredRefusal(claim.responseBytes, claim.limit) };
    case 'answer-lost':
      return { kind: 'refused', refusal: answerLostRefusal };
    case 'too-many':
      return { kind: 'refused', refusal: tooManyRefusal(claim.limit, claim.retryAt) };
  }
}

/**
 * The replay of a request that ran but whose answer was too large to keep. 409, as a create of
 * something that exists is: the request conflicts with what is already done, and the client
 * resolves it by reading the result. Not a 2xx, whose body clients would take for the resource;
 * told apart from "still running" (also 409) by its code and by `Idempotent-Replayed`, which
 * marks every replay.
 */
const notStoredRefusal = (responseBytes: number, limit: number) =>
  refusal(
    409,
    'IDEMPOTENT_RESPONSE_NOT_STORED',
    `The first request with this Idempotency-Key ran; its response (${responseBytes} bytes) was larger than the ${limit} bytes kept for replays (MAX_IDEMPOTENT_RESPONSE_BYTES), so it was not stored. Read the result instead: do not send the request again under a new Idempotency-Key, which would run it again.`,
    { 'Idempotent-Replayed': 'true' },
  );

/** The replay of a request whose work committed but whose server stopped before recording its answer: told apart as not-stored is. */
const answerLostRefusal = refusal(
  409,
  'IDEMPOTENT_RESPONSE_NOT_STORED',
  'The first request with this Idempotency-Key ran, but its server stopped before it could record the response. Read the result instead: do not send the request again under a new Idempotency-Key, which would run it again.',
  { 'Idempotent-Replayed': 'true' },
);

/** 429, as a spent budget is: the key may claim again once its oldest record expires (Retry-After). */
function tooManyRefusal(limit: number, retryAt: Date): Refusal {
  const seconds = Math.max(1, Math.ceil((retryAt.getTime() - Date.now()) / 1000));
  return refusal(
    429,
    'TOO_MANY_IDEMPOTENCY_KEYS',
    `This API key already holds ${limit} Idempotency-Keys from the last 24 hours, the most it may (MAX_IDEMPOTENCY_RECORDS_PER_KEY): retry after Retry-After seconds, or send the request without an Idempotency-Key.`,
    { 'Retry-After': String(seconds) },
  );
}

/**
 * Runs a claimed request's `work` (inside the request's work: see gate/deadline.ts), then settles
 * the claim when the work finishes, not when the client was answered: a request past its deadline
 * still records what it did. `outcome` says what to keep of the result; undefined, or a failure,
 * means nothing ran: the claim goes, so a retry may run. Each transaction of the work marks the
 * claim as having committed work as it commits, atomically with that work, so a retry never takes
 * over a claim whose work is done, and a request whose claim was taken over commits nothing.
 */
export async function runClaimed<T>(db: Db, claim: ClaimedKey, work: () => Promise<T>, outcome: (result: T) => unknown): Promise<T> {
  beforeRequestCommits((tx) => markClaimWorkCommitted(tx, claim));
  let result: T;
  try {
    result = await work();
  } catch (error) {
    await settle(db, claim, undefined);
    throw error;
  }
  await settle(db, claim, await outcome(result));
  return result;
}

function settle(db: Db, claim: ClaimedKey, response: unknown | undefined): Promise<void> {
  // Apart from the request's work: a request stopped at its deadline must still record its outcome.
  return apartFromRequest(async () => {
    if (response === undefined) await releaseIdempotencyKey(db, claim);
    else await completeIdempotencyKey(db, claim, response);
  });
}
