/** Idempotency records' rows, one per (API key, Idempotency-Key). */
import { and, eq, isNull, lt } from 'drizzle-orm';
import type { Db } from '../../db/connect.js';
import { idempotencyRecords } from '../../db/schema.js';

export type IdempotencyRecord = typeof idempotencyRecords.$inferSelect;

const recordOf = (apiKeyId: string, key: string) => and(eq(idempotencyRecords.apiKeyId, apiKeyId), eq(idempotencyRecords.idempotencyKey, key));

/** Inserts a claim unless one exists; whether this call made it. */
export async function insertClaim(db: Db, apiKeyId: string, key: string, requestHash: string, expiresAt: Date): Promise<boolean> {
  const inserted = await db
    .insert(idempotencyRecords)
    .values({ apiKeyId, idempotencyKey: key, requestHash, expiresAt })
    .onConflictDoNothing()
    .returning({ key: idempotencyRecords.idempotencyKey });
  return inserted.length > 0;
}

export async function findRecord(db: Db, apiKeyId: string, key: string): Promise<IdempotencyRecord | undefined> {
  const [existing] = await db.select().from(idempotencyRecords).where(recordOf(apiKeyId, key));
  return existing;
}

/** Deletes exactly the record read earlier (not one another request has since made). */
export async function deleteRecord(db: Db, record: IdempotencyRecord): Promise<void> {
  await db.delete(idempotencyRecords).where(and(recordOf(record.apiKeyId, record.idempotencyKey), eq(idempotencyRecords.createdAt, record.createdAt)));
}

export async function storeResponse(db: Db, apiKeyId: string, key: string, response: unknown): Promise<void> {
  await db.update(idempotencyRecords).set({ response }).where(recordOf(apiKeyId, key));
}

/** Deletes a claim that has no response yet. */
export async function deleteUnfinished(db: Db, apiKeyId: string, key: string): Promise<void> {
  await db.delete(idempotencyRecords).where(and(recordOf(apiKeyId, key), isNull(idempotencyRecords.response)));
}

export async function deleteExpiredRecords(db: Db, now: Date): Promise<void> {
  await db.delete(idempotencyRecords).where(lt(idempotencyRecords.expiresAt, now));
}
