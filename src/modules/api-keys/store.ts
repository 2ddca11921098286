/** API keys' rows: the key (`api_keys`, its permissions in columns) and its secrets' hashes (`api_key_secrets`). */
import { and, asc, count, desc, eq, gte, inArray, isNotNull, isNull, lt, sql, type SQL } from 'drizzle-orm';
import type { Db } from '../../db/connect.js';
import { violatedUniqueConstraint } from '../../db/errors.js';
import type { ApiKeyRecord } from '../../db/records.js';
import type { ApiKeyKind, OwnerKind } from '../../db/enums.js';
import { apiKeys, apiKeySecrets, apiKeyUsageDays, owners, users } from '../../db/schema.js';
import { isUuid } from '../../core/ids.js';
import type { Page, PageArgs } from '../../core/pagination.js';
import { keysetPage } from '../../db/keyset.js';

const named = (name: string) => eq(sql`lower(${owners.name})`, name.toLowerCase());

export async function findApiKeysByIds(db: Db, ids: readonly string[]): Promise<ApiKeyRecord[]> {
  const valid = ids.filter(isUuid);
  return valid.length === 0 ? [] : db.select().from(apiKeys).where(inArray(apiKeys.id, valid));
}

/** Each owner's key with the given name (used for `default-key`). */
export async function findApiKeysByName(db: Db, ownerIds: readonly string[], name: string): Promise<ApiKeyRecord[]> {
  return db
    .select()
    .from(apiKeys)
    .where(and(inArray(apiKeys.ownerId, [...ownerIds]), eq(apiKeys.name, name)));
}

export async function findApiKey(db: Db, id: string): Promise<ApiKeyRecord | undefined> {
  const [key] = await db.select().from(apiKeys).where(eq(apiKeys.id, id));
  return key;
}

/** A key by id, row-locked for a change. */
export async function lockApiKey(tx: Db, id: string): Promise<ApiKeyRecord | undefined> {
  const [key] = await tx.select().from(apiKeys).where(eq(apiKeys.id, id)).for('update');
  return key;
}

/** A live owner (user or organization) by name, case-insensitively. */
export async function findLiveOwnerNamed(db: Db, name: string): Promise<{ id: string; name: string; kind: OwnerKind } | undefined> {
  const [owner] = await db
    .select({ id: owners.id, name: owners.name, kind: owners.kind })
    .from(owners)
    .where(and(named(name), isNull(owners.deletedAt)));
  return owner;
}

/** A key's owner's kind, read as the key names it (deleted owners included). */
export async function findOwnerKind(tx: Db, ownerId: string): Promise<{ id: string; kind: OwnerKind } | undefined> {
  const [owner] = await tx.select({ id: owners.id, kind: owners.kind }).from(owners).where(eq(owners.id, ownerId));
  return owner;
}

/** A live user by username, with whether it administers the cluster. */
export async function findLiveUserNamed(tx: Db, username: string): Promise<{ id: string; isAdmin: boolean } | undefined> {
  const [user] = await tx
    .select({ id: users.id, isAdmin: users.isAdmin })
    .from(users)
    .innerJoin(owners, eq(owners.id, users.id))
    .where(and(named(username), isNull(owners.deletedAt)));
  return user;
}

function keysPage(db: Db, args: PageArgs, filter: SQL | undefined): Promise<Page<ApiKeyRecord>> {
  return keysetPage(
    args,
    apiKeys,
    (page) =>
      db
        .select()
        .from(apiKeys)
        .where(and(filter, page.where))
        .orderBy(...page.orderBy)
        .limit(page.limit),
    async () => (await db.select({ n: count() }).from(apiKeys).where(filter))[0]?.n ?? 0,
  );
}

/** An owner's standard keys, oldest first. */
export function standardKeysOf(db: Db, ownerId: string, args: PageArgs): Promise<Page<ApiKeyRecord>> {
  return keysPage(db, args, and(eq(apiKeys.ownerId, ownerId), eq(apiKeys.kind, 'STANDARD')));
}

/** Every key, optionally of one owner (by name) and one kind. An unknown owner lists nothing. */
export async function listAllApiKeys(
  db: Db,
  args: PageArgs & { owner?: string | null; kind?: ApiKeyKind | null },
): Promise<Page<ApiKeyRecord>> {
  const filters: SQL[] = [];
  if (args.owner) {
    filters.push(inArray(apiKeys.ownerId, db.select({ id: owners.id }).from(owners).where(named(args.owner))));
  }
  if (args.kind) filters.push(eq(apiKeys.kind, args.kind));
  return keysPage(db, args, filters.length > 0 ? and(...filters) : undefined);
}

/** What a unique index refused, when a write raced another. */
export type Taken = 'name';

const takenBy = (error: unknown): Taken | undefined => (violatedUniqueConstraint(error) === 'api_keys_owner_name_key' ? 'name' : undefined);

/** How many standard keys an owner holds (for its quota; count under the owner's lock). */
export async function countStandardKeysOf(tx: Db, ownerId: string): Promise<number> {
  const [row] = await tx
    .select({ n: count() })
    .from(apiKeys)
    .where(and(eq(apiKeys.ownerId, ownerId), eq(apiKeys.kind, 'STANDARD')));
  return row?.n ?? 0;
}

export type NewApiKey = typeof apiKeys.$inferInsert;

/** Inserts a key; 'name' when its owner already has a key of that name. */
export async function insertApiKey(tx: Db, values: NewApiKey): Promise<ApiKeyRecord | Taken> {
  try {
    const [apiKey] = await tx.insert(apiKeys).values(values).returning();
    return apiKey!;
  } catch (error) {
    const taken = takenBy(error);
    if (taken) return taken;
    throw error;
  }
}

/** Writes a key's settings and stamps `updatedAt`; 'name' when its owner already has a key of that name. */
export async function updateApiKeySettings(tx: Db, id: string, values: Partial<NewApiKey>): Promise<ApiKeyRecord | Taken> {
  try {
    const [updated] = await tx
      .update(apiKeys)
      .set({ ...values, updatedAt: new Date() })
      .where(eq(apiKeys.id, id))
      .returning();
    return updated!;
  } catch (error) {
    const taken = takenBy(error);
    if (taken) return taken;
    throw error;
  }
}

export async function setApiKeyMask(tx: Db, id: string, mask: string, updatedAt: Date): Promise<ApiKeyRecord> {
  const [updated] = await tx.update(apiKeys).set({ mask, updatedAt }).where(eq(apiKeys.id, id)).returning();
  return updated!;
}

export async function setRateLimitPerMinute(tx: Db, id: string, rateLimitPerMinute: number | null): Promise<ApiKeyRecord> {
  const [updated] = await tx.update(apiKeys).set({ rateLimitPerMinute }).where(eq(apiKeys.id, id)).returning();
  return updated!;
}

/** Deletes a key; its secrets go with it (foreign key cascade). */
export async function deleteApiKey(tx: Db, id: string): Promise<void> {
  await tx.delete(apiKeys).where(eq(apiKeys.id, id));
}

/** Deletes an admin key; the key, or undefined when no admin key has that id. */
export async function deleteAdminApiKey(tx: Db, id: string): Promise<ApiKeyRecord | undefined> {
  const [key] = await tx
    .delete(apiKeys)
    .where(and(eq(apiKeys.id, id), eq(apiKeys.kind, 'ADMIN')))
    .returning();
  return key;
}

/** Deletes every admin key of an owner (their secrets go with them); the keys deleted. */
export async function deleteAdminApiKeysOf(tx: Db, ownerId: string): Promise<ApiKeyRecord[]> {
  return tx
    .delete(apiKeys)
    .where(and(eq(apiKeys.ownerId, ownerId), eq(apiKeys.kind, 'ADMIN')))
    .returning();
}

export async function insertSecret(tx: Db, apiKeyId: string, hash: string): Promise<void> {
  await tx.insert(apiKeySecrets).values({ apiKeyId, hash });
}

/**
 * Ends a key's secrets for a roll: every older secret still in grace (or already past it) goes now,
 * and the current one stops at `end`. So a key never has more than two working secrets.
 */
export async function endSecrets(tx: Db, apiKeyId: string, end: Date): Promise<void> {
  await tx.delete(apiKeySecrets).where(and(eq(apiKeySecrets.apiKeyId, apiKeyId), isNotNull(apiKeySecrets.expiresAt)));
  await tx
    .update(apiKeySecrets)
    .set({ expiresAt: end })
    .where(and(eq(apiKeySecrets.apiKeyId, apiKeyId), isNull(apiKeySecrets.expiresAt)));
}

/** One key's calls on one UTC day. */
export interface UsageDayRow {
  apiKeyId: string;
  /** An ISO date. */
  day: string;
  calls: number;
  refused: number;
}

/** The day counts of the given keys from `since` (an ISO date) on, each key's newest first. */
export async function usageOfKeys(db: Db, keyIds: readonly string[], since: string): Promise<UsageDayRow[]> {
  if (keyIds.length === 0) return [];
  return db
    .select()
    .from(apiKeyUsageDays)
    .where(and(inArray(apiKeyUsageDays.apiKeyId, [...keyIds]), gte(apiKeyUsageDays.day, since)))
    .orderBy(asc(apiKeyUsageDays.apiKeyId), desc(apiKeyUsageDays.day));
}

/** Deletes every key's counts of the days before `day` (an ISO date). */
export async function deleteUsageBefore(db: Db, day: string): Promise<void> {
  await db.delete(apiKeyUsageDays).where(lt(apiKeyUsageDays.day, day));
}
