/** Owners are users or organizations: one namespace, one loader for whichever an id names. */
import { and, isNull } from 'drizzle-orm';
import type { Db } from '../../db/connect.js';
import { anyOf } from '../../db/any.js';
import { owners } from '../../db/schema.js';
import { joinProfiles, ownerFromProfile, ownerProfileColumns, type OwnerRecord } from '../../db/records.js';
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
