/**
 * The records services hand around and the column sets that read them: in one place below every
 * module, so that needing a type (auth/ needs keys and owners) never pulls in a whole service.
 */
import { eq } from 'drizzle-orm';
import type { PgSelect } from 'drizzle-orm/pg-core';
import { algorithms, algorithmVersions, apiKeys, organizations, owners, users, type MemberRole, type OrganizationType } from './schema.js';

export type ApiKeyRecord = typeof apiKeys.$inferSelect;
export type AlgorithmRow = typeof algorithms.$inferSelect;
export type VersionRow = typeof algorithmVersions.$inferSelect;

export interface UserRecord {
  kind: 'USER';
  id: string;
  username: string;
  email: string;
  fullName: string | null;
  companyName: string | null;
  companyRole: string | null;
  isAdmin: boolean;
  createdAt: Date;
}

/** A user's own columns; the id and username live in `owners`. */
export const userProfileColumns = {
  email: users.email,
  fullName: users.fullName,
  companyName: users.companyName,
  companyRole: users.companyRole,
  isAdmin: users.isAdmin,
  createdAt: users.createdAt,
};


export interface OrganizationRecord {
  kind: 'ORGANIZATION';
  id: string;
  name: string;
  label: string;
  contactName: string | null;
  email: string | null;
  url: string | null;
  type: OrganizationType;
  createdAt: Date;
}

export type { MemberRole };

export interface MembershipRecord {
  organizationId: string;
  userId: string;
  role: MemberRole;
  createdAt: Date;
}


/** An organization's own columns; the id and name live in `owners`. */
export const organizationProfileColumns = {
  label: organizations.label,
  contactName: organizations.contactName,
  email: organizations.email,
  url: organizations.url,
  type: organizations.type,
  createdAt: organizations.createdAt,
};


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
export function joinProfiles<Q extends PgSelect>(query: Q) {
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
