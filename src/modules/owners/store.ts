/** Owners' rows: the one namespace of users and organizations, and what an owner leaves behind. */
import { and, eq, isNull } from 'drizzle-orm';
import type { Db } from '../../db/connect.js';
import { anyOf } from '../../db/any.js';
import { joinProfiles, ownerFromProfile, ownerProfileColumns, type OwnerRecord } from '../../db/records.js';
import { algorithms, apiKeys, owners } from '../../db/schema.js';
import { isUuid } from '../../core/ids.js';

export async function findOwnersByIds(db: Db, ids: readonly string[]): Promise<OwnerRecord[]> {
  // Like the user and organization lookups: a malformed id names nothing (the uuid[] cast would fail).
  const valid = ids.filter(isUuid);
  if (valid.length === 0) return [];
  const found = await joinProfiles(db.select(ownerProfileColumns).from(owners).$dynamic()).where(
    and(anyOf(owners.id, valid), isNull(owners.deletedAt)),
  );
  return found.flatMap((row) => ownerFromProfile(row) ?? []);
}

/**
 * Row-locks an owner for the transaction, so that writers of what it holds (keys, algorithms) take
 * turns counting it. NO KEY UPDATE: it orders those writers without blocking inserts that merely
 * reference the owner.
 */
export async function lockOwner(tx: Db, ownerId: string): Promise<void> {
  await tx.select({ id: owners.id }).from(owners).where(eq(owners.id, ownerId)).for('no key update');
}

/** Names of up to `limit` of the owner's algorithms that have a PUBLIC version. */
export async function publishedAlgorithmNames(tx: Db, ownerId: string, limit: number): Promise<string[]> {
  const found = await tx
    .select({ name: algorithms.name })
    .from(algorithms)
    .where(and(eq(algorithms.ownerId, ownerId), eq(algorithms.hasPublicVersion, true)))
    .limit(limit);
  return found.map((row) => row.name);
}

/** Deletes the owner's algorithms and keys and leaves its name as a tombstone. */
export async function retireOwnerRows(tx: Db, ownerId: string): Promise<void> {
  await tx.delete(algorithms).where(eq(algorithms.ownerId, ownerId));
  await tx.delete(apiKeys).where(eq(apiKeys.ownerId, ownerId));
  await tx.update(owners).set({ deletedAt: new Date() }).where(eq(owners.id, ownerId));
}
