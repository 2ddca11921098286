/**
 * Idempotency records: the first request with a given Idempotency-Key (per API key) claims it and
 * stores its response; retries with the same request replay that response for 24 hours.
 */
import { and, eq, isNull, lt } from 'drizzle-orm';
import type { Db } from '../../db/connect.js';
import { idempotencyRecords } from '../../db/schema.js';

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
  const inserted = await db
    .insert(idempotencyRecords)
    .values({ apiKeyId, idempotencyKey: key, requestHash, expiresAt: new Date(now.getTime() + IDEMPOTENCY_TTL_MS) })
    .onConflictDoNothing()
    .returning({ key: idempotencyRecords.idempotencyKey });
  if (inserted.length > 0) return { kind: 'claimed' };

  const where = and(eq(idempotencyRecords.apiKeyId, apiKeyId), eq(idempotencyRecords.idempotencyKey, key));
  const [existing] = await db.select().from(idempotencyRecords).where(where);
  const stale =
    !existing ||
    existing.expiresAt <= now ||
    (existing.response === null && existing.createdAt.getTime() < now.getTime() - ABANDONED_AFTER_MS);
  if (stale) {
    if (retried) return { kind: 'in-progress' };
    if (existing) await db.delete(idempotencyRecords).where(and(where, eq(idempotencyRecords.createdAt, existing.createdAt)));
    return claimIdempotencyKey(db, apiKeyId, key, requestHash, true);
  }
  if (existing.requestHash !== requestHash) return { kind: 'different-request' };
  if (existing.response === null) return { kind: 'in-progress' };
  return { kind: 'replay', response: existing.response };
}

export async function completeIdempotencyKey(db: Db, apiKeyId: string, key: string, response: unknown): Promise<void> {
  await db
    .update(idempotencyRecords)
    .set({ response })
    .where(and(eq(idempotencyRecords.apiKeyId, apiKeyId), eq(idempotencyRecords.idempotencyKey, key)));
}

/** Gives up a claim whose request failed, so a retry may run. */
export async function releaseIdempotencyKey(db: Db, apiKeyId: string, key: string): Promise<void> {
  await db
    .delete(idempotencyRecords)
    .where(and(eq(idempotencyRecords.apiKeyId, apiKeyId), eq(idempotencyRecords.idempotencyKey, key), isNull(idempotencyRecords.response)));
}

export async function deleteExpiredIdempotencyRecords(db: Db): Promise<void> {
  await db.delete(idempotencyRecords).where(lt(idempotencyRecords.expiresAt, new Date()));
}
