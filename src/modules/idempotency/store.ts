/** Idempotency records' rows, one per (API key, Idempotency-Key). */
import { and, count, eq, gt, isNull, lt, lte, min, or, sql } from 'drizzle-orm';
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
          workCommitted: sql<boolean>`false`.as('work_committed'),
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

/** One claim: the record made at `createdAt`, not one another request made since under the same keys. */
const claimOf = (apiKeyId: string, key: string, createdAt: Date) => and(recordOf(apiKeyId, key), eq(idempotencyRecords.createdAt, createdAt));

/** A claim whose request has not finished and none of whose work has committed. */
const unfinishedWithoutWork = and(isNull(idempotencyRecords.responseBytes), eq(idempotencyRecords.workCommitted, false));

/**
 * Deletes the record read earlier if it is still expired at `now`, or still unfinished with no
 * committed work. Re-checked under the row's lock: a transaction of its request
 * that marks work committed meanwhile (markWorkCommitted) wins, and the record stays.
 */
export async function deleteStale(db: Db, record: IdempotencyRecord, now: Date): Promise<void> {
  await db
    .delete(idempotencyRecords)
    .where(and(claimOf(record.apiKeyId, record.idempotencyKey, record.createdAt), or(lte(idempotencyRecords.expiresAt, now), unfinishedWithoutWork)));
}

/** Marks the claim's work committed, inside the work's transaction; false when the claim is no longer there unfinished. */
export async function markWorkCommitted(tx: Db, apiKeyId: string, key: string, createdAt: Date): Promise<boolean> {
  const marked = await tx
    .update(idempotencyRecords)
    .set({ workCommitted: true })
    .where(and(claimOf(apiKeyId, key, createdAt), isNull(idempotencyRecords.responseBytes)))
    .returning({ key: idempotencyRecords.idempotencyKey });
  return marked.length > 0;
}

/** Records a finished request: its answer's size, and the answer itself unless `response` is null. */
export async function storeResponse(db: Db, apiKeyId: string, key: string, createdAt: Date, response: unknown, responseBytes: number): Promise<void> {
  await db.update(idempotencyRecords).set({ response, responseBytes }).where(claimOf(apiKeyId, key, createdAt));
}

/** Deletes a claim whose request has not finished, unless some of its work committed. */
export async function deleteUnfinished(db: Db, apiKeyId: string, key: string, createdAt: Date): Promise<void> {
  await db.delete(idempotencyRecords).where(and(claimOf(apiKeyId, key, createdAt), unfinishedWithoutWork));
}

export async function deleteExpiredRecords(db: Db, now: Date): Promise<void> {
  await db.delete(idempotencyRecords).where(lt(idempotencyRecords.expiresAt, now));
}
