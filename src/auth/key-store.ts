/** The rows key verification reads and the usage it records: the only SQL of auth/. */
import { eq, sql } from 'drizzle-orm';
import type { Db } from '../db/connect.js';
import { joinProfiles, ownerProfileColumns, type ApiKeyRecord, type OwnerProfile, type OwnerRecord } from '../db/records.js';
import { apiKeys, apiKeySecrets, apiKeyUsageDays, organizationMembers, owners } from '../db/schema.js';

export type KeyBySecret = OwnerProfile & {
  key: ApiKeyRecord;
  /** When this secret stops working (a rolled key's old secret); null while it is the current one. */
  secretExpiresAt: Date | null;
  ownerKind: OwnerRecord['kind'];
  ownerDeletedAt: Date | null;
  /** The organizations the key's owner belongs to (none for an organization). */
  memberOf: string[];
};

/** The organizations of the owner in scope, as text (both drivers parse a text[] alike). */
const memberOf = sql<string[]>`array(select ${organizationMembers.organizationId}::text from ${organizationMembers} where ${organizationMembers.userId} = ${owners.id})`;

/** The key a secret's hash belongs to, with its owner and the owner's memberships, in one indexed statement. */
export async function findKeyBySecretHash(db: Db, hash: string): Promise<KeyBySecret | undefined> {
  const [row] = await joinProfiles(
    db
      .select({
        key: apiKeys,
        secretExpiresAt: apiKeySecrets.expiresAt,
        ownerKind: owners.kind,
        ownerDeletedAt: owners.deletedAt,
        memberOf,
        ...ownerProfileColumns,
      })
      .from(apiKeySecrets)
      .innerJoin(apiKeys, eq(apiKeys.id, apiKeySecrets.apiKeyId))
      .innerJoin(owners, eq(owners.id, apiKeys.ownerId))
      .$dynamic(),
  ).where(eq(apiKeySecrets.hash, hash));
  return row;
}

/** Moves each key's lastUsedAt forward to the time given (never back), in one statement. */
export async function recordLastUsed(db: Db, batch: ReadonlyMap<string, Date>): Promise<void> {
  const values = sql.join(
    [...batch].map(([id, at]) => sql`(${id}::uuid, ${at.toISOString()}::timestamptz)`),
    sql`, `,
  );
  await db.execute(sql`
    update ${apiKeys} as k set last_used_at = v.at
    from (values ${values}) as v(id, at)
    where k.id = v.id and (k.last_used_at is null or k.last_used_at < v.at)`);
}

/** One key's calls on one UTC day (an ISO date), as the recorder collected them. */
export interface DayCount {
  keyId: string;
  day: string;
  calls: number;
  refused: number;
}

/** Counts stop at int's (and GraphQL Int's) maximum rather than fail: see `apiKeyUsageDays`. */
const MAX_COUNT = sql.raw('2147483647');

/**
 * Adds each count to its key's row for its day, in one statement whatever the number of rows: they
 * travel as one JSON parameter (a parameter per value would stop at Postgres's 65 535). Counts of
 * keys deleted meanwhile are dropped (their rows went with them), so they never fail the batch.
 */
export async function recordCallCounts(db: Db, counts: readonly DayCount[]): Promise<void> {
  await db.execute(sql`
    insert into ${apiKeyUsageDays} as t (api_key_id, day, calls, refused)
    select v."keyId", v.day, least(v.calls, ${MAX_COUNT}), least(v.refused, ${MAX_COUNT})
    from jsonb_to_recordset(${JSON.stringify(counts)}::jsonb) as v("keyId" uuid, day date, calls bigint, refused bigint)
    where exists (select 1 from ${apiKeys} k where k.id = v."keyId")
    on conflict (api_key_id, day) do update set
      calls = least(t.calls::bigint + excluded.calls, ${MAX_COUNT}),
      refused = least(t.refused::bigint + excluded.refused, ${MAX_COUNT})`);
}
