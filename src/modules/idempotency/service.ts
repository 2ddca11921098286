/**
 * Idempotency records: the first request with a given Idempotency-Key (per API key) claims it and
 * records its outcome; retries with the same request replay that response for 24 hours. Both are
 * bounded (README, "Limits"): an answer larger than MAX_IDEMPOTENT_RESPONSE_BYTES is recorded
 * without its body, so a retry still cannot run the work again but learns only that it ran; and an
 * API key holds at most MAX_IDEMPOTENCY_RECORDS_PER_KEY live records.
 */
import { limits } from '../../core/limits.js';
import type { Db } from '../../db/connect.js';
import { countLiveRecords, deleteExpiredRecords, deleteRecord, deleteUnfinished, findRecord, insertClaim, storeResponse } from './store.js';

export const IDEMPOTENCY_TTL_MS = 24 * 60 * 60 * 1000;
/**
 * A claim whose request never finished (the process died) may be taken over after this: well past
 * any request deadline and statement timeout, so a request that ran out of time but whose
 * statement still committed can never be run a second time by a retry.
 */
const ABANDONED_AFTER_MS = 15 * 60 * 1000;

export type Claim =
  | { kind: 'claimed' }
  | { kind: 'replay'; response: unknown }
  | { kind: 'not-stored'; responseBytes: number; limit: number }
  | { kind: 'different-request' }
  | { kind: 'in-progress' }
  | { kind: 'too-many'; limit: number; retryAt: Date };

export async function claimIdempotencyKey(db: Db, apiKeyId: string, key: string, requestHash: string, retried = false): Promise<Claim> {
  const now = new Date();
  const cap = limits().idempotencyRecordsPerKey;
  if (await insertClaim(db, apiKeyId, key, requestHash, now, new Date(now.getTime() + IDEMPOTENCY_TTL_MS), cap)) return { kind: 'claimed' };

  const existing = await findRecord(db, apiKeyId, key);
  if (!existing) {
    // Refused by the cap, or a claim released between the insert and this read (then try once more).
    const { live, oldestExpiresAt } = await countLiveRecords(db, apiKeyId, now, cap);
    if (live >= cap) return { kind: 'too-many', limit: cap, retryAt: oldestExpiresAt ?? now };
  }
  const stale =
    !existing ||
    existing.expiresAt <= now ||
    (existing.responseBytes === null && existing.createdAt.getTime() < now.getTime() - ABANDONED_AFTER_MS);
  if (stale) {
    if (retried) return { kind: 'in-progress' };
    if (existing) await deleteRecord(db, existing);
    return claimIdempotencyKey(db, apiKeyId, key, requestHash, true);
  }
  if (existing.requestHash !== requestHash) return { kind: 'different-request' };
  if (existing.responseBytes === null) return { kind: 'in-progress' };
  if (existing.response === null) return { kind: 'not-stored', responseBytes: existing.responseBytes, limit: limits().idempotentResponseBytes };
  return { kind: 'replay', response: existing.response };
}

/**
 * Records the outcome of a claimed request: `response` (a transport's JSON value) is kept for
 * replays only up to MAX_IDEMPOTENT_RESPONSE_BYTES as JSON; beyond it, only that it ran and how
 * large its answer was.
 */
export async function completeIdempotencyKey(db: Db, apiKeyId: string, key: string, response: unknown): Promise<void> {
  const responseBytes = Buffer.byteLength(JSON.stringify(response));
  const kept = responseBytes <= limits().idempotentResponseBytes ? response : null;
  await storeResponse(db, apiKeyId, key, kept, responseBytes);
}

/** Gives up a claim whose request failed, so a retry may run. */
export const releaseIdempotencyKey = deleteUnfinished;

export async function deleteExpiredIdempotencyRecords(db: Db): Promise<void> {
  await deleteExpiredRecords(db, new Date());
}
