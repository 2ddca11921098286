/** Idempotency records' rows, one per (API key, Idempotency-Key). */
import { and, count, eq, gt, isNull, lt, min, sql } from 'drizzle-orm';
import type { Db } from '../../db/connect.js';
import { apiKeys, idempotencyRecords } from '../../db/schema.js';

export type IdempotencyRecord = typeof idempotencyRecords.$inferSelect;

const recordOf = (apiKeyId: string, key: string) => and(eq(idempotencyRecords.apiKeyId, apiKeyId), eq(idempotencyRecords.idempotencyKey, key));

/** The key's records still live at `now`, at most `cap` of them (index-only on (api_key_id, expires_at)). */
const liveRecords = (db: Db, apiKeyId: string, now: Date, cap: number) =>
  db
    .select({ expiresAt: idempotencyRecords.expiresAt })
    .from(idempotencyRecords)
    .where(and(eq(idempotencyRecords.apiKeyId, apiKeyId), gt(idempotencyRecords.expiresAt, now)))
    .orderBy(idempotencyRecords.expiresAt)
    .limit(cap)
    .as('live');

/**
 * Inserts a claim unless one exists or the key already holds `cap` live records; whether this call
 * made it. The count is in the insert itself, so concurrent claims overshoot the cap by at most
 * the number of them in flight at once. Selecting from the key's row also makes no claim for a key
 * revoked meanwhile (its records go with it).
 */
export async function insertClaim(db: Db, apiKeyId: string, key: string, requestHash: string, now: Date, expiresAt: Date, cap: number): Promise<boolean> {
  const live = db.select({ n: count() }).from(liveRecords(db, apiKeyId, now, cap));
  const inserted = await db
    .insert(idempotencyRecords)
    .select((qb) =>
      qb
        .select({
          apiKeyId: apiKeys.id,
          idempotencyKey: sql<string>`${key}::text`.as('idempotency_key'),
          requestHash: sql<string>`${requestHash}::text`.as('request_hash'),
          response: sql<unknown>`null::jsonb`.as('response'),
          responseBytes: sql<number>`null::integer`.as('response_bytes'),
          createdAt: sql<Date>`${now.toISOString()}::timestamptz`.as('created_at'),
          expiresAt: sql<Date>`${expiresAt.toISOString()}::timestamptz`.as('expires_at'),
        })
        .from(apiKeys)
        .where(and(eq(apiKeys.id, apiKeyId), lt(sql`(${live})`, cap))),
    )
    .onConflictDoNothing()
    .returning({ key: idempotencyRecords.idempotencyKey });
  return inserted.length > 0;
}

/** How many of the key's records are live at `now` (counted up to `cap`), and when the oldest expires. */
export async function countLiveRecords(db: Db, apiKeyId: string, now: Date, cap: number): Promise<{ live: number; oldestExpiresAt: Date | null }> {
  const live = liveRecords(db, apiKeyId, now, cap);
  const [row] = await db.select({ live: count(), oldestExpiresAt: min(live.expiresAt) }).from(live);
  return { live: row?.live ?? 0, oldestExpiresAt: row?.oldestExpiresAt ?? null };
}

export async function findRecord(db: Db, apiKeyId: string, key: string): Promise<IdempotencyRecord | undefined> {
  const [existing] = await db.select().from(idempotencyRecords).where(recordOf(apiKeyId, key));
  return existing;
}

/** Deletes exactly the record read earlier (not one another request has since made). */
export async function deleteRecord(db: Db, record: IdempotencyRecord): Promise<void> {
  await db.delete(idempotencyRecords).where(and(recordOf(record.apiKeyId, record.idempotencyKey), eq(idempotencyRecords.createdAt, record.createdAt)));
}

/** Records a finished request: its answer's size, and the answer itself unless `response` is null. */
export async function storeResponse(db: Db, apiKeyId: string, key: string, response: unknown, responseBytes: number): Promise<void> {
  await db.update(idempotencyRecords).set({ response, responseBytes }).where(recordOf(apiKeyId, key));
}

/** Deletes a claim whose request has not finished. */
export async function deleteUnfinished(db: Db, apiKeyId: string, key: string): Promise<void> {
  await db.delete(idempotencyRecords).where(and(recordOf(apiKeyId, key), isNull(idempotencyRecords.responseBytes)));
}

export async function deleteExpiredRecords(db: Db, now: Date): Promise<void> {
  await db.delete(idempotencyRecords).where(lt(idempotencyRecords.expiresAt, now));
}
