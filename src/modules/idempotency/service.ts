/**
 * Idempotency records: the first request with a given Idempotency-Key (per API key) claims it and
 * stores its response; retries with the same request replay that response for 24 hours.
 */
import type { Db } from '../../db/connect.js';
import { deleteExpiredRecords, deleteRecord, deleteUnfinished, findRecord, insertClaim, storeResponse } from './store.js';

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
  | { kind: 'different-request' }
  | { kind: 'in-progress' };

export async function claimIdempotencyKey(db: Db, apiKeyId: string, key: string, requestHash: string, retried = false): Promise<Claim> {
  const now = new Date();
  if (await insertClaim(db, apiKeyId, key, requestHash, new Date(now.getTime() + IDEMPOTENCY_TTL_MS))) return { kind: 'claimed' };

  const existing = await findRecord(db, apiKeyId, key);
  const stale =
    !existing ||
    existing.expiresAt <= now ||
    (existing.response === null && existing.createdAt.getTime() < now.getTime() - ABANDONED_AFTER_MS);
  if (stale) {
    if (retried) return { kind: 'in-progress' };
    if (existing) await deleteRecord(db, existing);
    return claimIdempotencyKey(db, apiKeyId, key, requestHash, true);
  }
  if (existing.requestHash !== requestHash) return { kind: 'different-request' };
  if (existing.response === null) return { kind: 'in-progress' };
  return { kind: 'replay', response: existing.response };
}

export const completeIdempotencyKey = storeResponse;

/** Gives up a claim whose request failed, so a retry may run. */
export const releaseIdempotencyKey = deleteUnfinished;

export async function deleteExpiredIdempotencyRecords(db: Db): Promise<void> {
  await deleteExpiredRecords(db, new Date());
}
