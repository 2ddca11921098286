/**
 * Idempotency records: the first request with a given Idempotency-Key (per API key) claims it and
 * records its outcome; retries with the same request replay that response for 24 hours. Both are
 * bounded (README, "Limits"): an answer larger than MAX_IDEMPOTENT_RESPONSE_BYTES is recorded
 * without its body, so a retry still cannot run the work again but learns only that it ran; and an
 * API key holds at most MAX_IDEMPOTENCY_RECORDS_PER_KEY live records.
 */
import { limits } from '../../core/limits.js';
import type { Db } from '../../db/connect.js';
import {
  countLiveRecords,
  deleteExpiredRecords,
  deleteStale,
  deleteUnfinished,
  findRecord,
  insertClaim,
  markWorkCommitted,
  storeResponse,
} from './store.js';

export const IDEMPOTENCY_TTL_MS = 24 * 60 * 60 * 1000;

/** A claim this request made: the record's creation instant tells it from a later claim under the same keys. */
export interface ClaimedKey {
  apiKeyId: string;
  key: string;
  createdAt: Date;
}

export type Claim =
  | { kind: 'claimed'; claim: ClaimedKey }
  | { kind: 'replay'; response: unknown }
  | { kind: 'not-stored'; responseBytes: number; limit: number }
  | { kind: 'answer-lost' }
  | { kind: 'different-request' }
  | { kind: 'in-progress' }
  | { kind: 'too-many'; limit: number; retryAt: Date };

/**
 * Claims `key` for the API key, or says what became of the request that did. A claim still
 * unfinished after `abandonedAfterMs` belongs to a process that died (nothing alive runs that
 * long): a retry takes it over when none of its work committed, and otherwise learns it ran but
 * its answer was lost with the process. Its transactions mark the claim (markClaimWorkCommitted),
 * so the two cannot both happen.
 */
export async function claimIdempotencyKey(
  db: Db,
  apiKeyId: string,
  key: string,
  requestHash: string,
  abandonedAfterMs: number,
  retried = false,
): Promise<Claim> {
  const now = new Date();
  const cap = limits().idempotencyRecordsPerKey;
  if (await insertClaim(db, apiKeyId, key, requestHash, now, new Date(now.getTime() + IDEMPOTENCY_TTL_MS), cap)) {
    return { kind: 'claimed', claim: { apiKeyId, key, createdAt: now } };
  }

  const existing = await findRecord(db, apiKeyId, key);
  if (!existing) {
    // Refused by the cap, or a claim released between the insert and this read (then try once more).
    const { live, oldestExpiresAt } = await countLiveRecords(db, apiKeyId, now, cap);
    if (live >= cap) return { kind: 'too-many', limit: cap, retryAt: oldestExpiresAt ?? now };
  }
  const abandoned = existing !== undefined && existing.responseBytes === null && existing.createdAt.getTime() < now.getTime() - abandonedAfterMs;
  if (!existing || existing.expiresAt <= now || (abandoned && !existing.workCommitted)) {
    if (retried) return { kind: 'in-progress' };
    if (existing) await deleteStale(db, existing, now);
    return claimIdempotencyKey(db, apiKeyId, key, requestHash, abandonedAfterMs, true);
  }
  if (existing.requestHash !== requestHash) return { kind: 'different-request' };
  if (abandoned) return { kind: 'answer-lost' };
  if (existing.responseBytes === null) return { kind: 'in-progress' };
  if (existing.response === null) return { kind: 'not-stored', responseBytes: existing.responseBytes, limit: limits().idempotentResponseBytes };
  return { kind: 'replay', response: existing.response };
}

/** Thrown inside a transaction of a request whose claim a retry took over: the transaction rolls back, so the work runs once. */
export class ClaimTakenOver extends Error {
  constructor() {
    super('Idempotency-Key claim taken over by a retry (this request outlived its deadline): its work is rolled back');
    this.name = 'ClaimTakenOver';
  }
}

/** Inside each transaction of the claimed request: records that its work commits with it, or refuses if the claim was taken over. */
export async function markClaimWorkCommitted(tx: Db, claim: ClaimedKey): Promise<void> {
  if (!(await markWorkCommitted(tx, claim.apiKeyId, claim.key, claim.createdAt))) throw new ClaimTakenOver();
}

/**
 * Records the outcome of a claimed request: `response` (a transport's JSON value) is kept for
 * replays only up to MAX_IDEMPOTENT_RESPONSE_BYTES as JSON; beyond it, only that it ran and how
 * large its answer was.
 */
export async function completeIdempotencyKey(db: Db, claim: ClaimedKey, response: unknown): Promise<void> {
  const responseBytes = Buffer.byteLength(JSON.stringify(response));
  const kept = responseBytes <= limits().idempotentResponseBytes ? response : null;
  await storeResponse(db, claim.apiKeyId, claim.key, claim.createdAt, kept, responseBytes);
}

/** Gives up a claim whose request failed, so a retry may run; kept if some of its work committed. */
export async function releaseIdempotencyKey(db: Db, claim: ClaimedKey): Promise<void> {
  await deleteUnfinished(db, claim.apiKeyId, claim.key, claim.createdAt);
}

export async function deleteExpiredIdempotencyRecords(db: Db): Promise<void> {
  await deleteExpiredRecords(db, new Date());
}
