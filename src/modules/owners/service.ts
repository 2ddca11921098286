/** Owners are users or organizations: one namespace, one loader for whichever an id names. */
import { and, eq, isNull } from 'drizzle-orm';
import type { Db } from '../../db/connect.js';
import { anyOf } from '../../db/any.js';
import { organizations, owners, users } from '../../db/schema.js';
import { isUuid } from '../../core/ids.js';
import { organizationProfileColumns, type OrganizationRecord } from '../organizations/service.js';
import { userProfileColumns, type UserRecord } from '../users/service.js';

export type OwnerRecord = UserRecord | OrganizationRecord;

/**
 * What an OwnerRecord is made of, for any query that joins `owners` and, with `joinProfiles`,
 * users and organizations: key verification reads the key's owner in the same statement this way.
 */
export const ownerProfileColumns = {
  ownerId: owners.id,
  ownerName: owners.name,
  ownerUser: userProfileColumns,
  ownerOrganization: organizationProfileColumns,
};

export type OwnerProfile = {
  ownerId: string;
  ownerName: string;
  ownerUser: Omit<UserRecord, 'kind' | 'id' | 'username'> | null;
  ownerOrganization: Omit<OrganizationRecord, 'kind' | 'id' | 'name'> | null;
};

/** Left-joins the profile tables onto a query that has `owners` in it. */
export function joinProfiles<Q extends { leftJoin: (...args: any[]) => any }>(query: Q): Q {
  return query.leftJoin(users, eq(users.id, owners.id)).leftJoin(organizations, eq(organizations.id, owners.id));
}

/** An owner's name and kind, which lists and lookups of algorithms read along (from `owners`, joined anyway). */
export type OwnerSummary = { ownerId: string; ownerName: string; ownerKind: OwnerRecord['kind'] };

export const ownerSummaryColumns = { ownerName: owners.name, ownerKind: owners.kind };

/**
 * The owner as far as its summary goes: id, kind and name, without its profile (email, createdAt, …).
 * Only for selections that read nothing else (see `ownerOf` in owners/graphql.ts).
 */
export function ownerFromSummary({ ownerId: id, ownerName: name, ownerKind: kind }: OwnerSummary): OwnerRecord {
  return (kind === 'USER' ? { kind, id, username: name } : { kind, id, name }) as OwnerRecord;
}

export function ownerFromProfile(row: OwnerProfile): OwnerRecord | undefined {
  const { ownerId: id, ownerName: name, ownerUser: user, ownerOrganization: organization } = row;
  if (user) return { kind: 'USER', id, username: name, ...user };
  if (organization) return { kind: 'ORGANIZATION', id, name, ...organization };
  return undefined;
}

export async function findOwnersByIds(db: Db, ids: readonly string[]): Promise<OwnerRecord[]> {
  // Like the user and organization lookups: a malformed id names nothing (the uuid[] cast would fail).
  const valid = ids.filter(isUuid);
  if (valid.length === 0) return [];
  const found = await joinProfiles(db.select(ownerProfileColumns).from(owners).$dynamic()).where(
    and(anyOf(owners.id, valid), isNull(owners.deletedAt)),
  );
  return found.flatMap((row) => ownerFromProfile(row) ?? []);
}
