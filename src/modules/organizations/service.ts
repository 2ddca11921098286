/** Organizations: lookup. Their management (admin plane) arrives with the organizations issue. */
import { and, eq, inArray, isNull } from 'drizzle-orm';
import { isUuid } from '../../core/ids.js';
import type { Db } from '../../db/connect.js';
import { organizationMembers, organizations, owners } from '../../db/schema.js';

export interface OrganizationRecord {
  kind: 'ORGANIZATION';
  id: string;
  name: string;
  label: string;
  contactName: string | null;
  email: string | null;
  url: string | null;
  type: 'BASIC' | 'LEGACY' | 'PRO';
  createdAt: Date;
}

export async function findOrganizationsByIds(db: Db, ids: readonly string[]): Promise<OrganizationRecord[]> {
  const valid = ids.filter(isUuid);
  if (valid.length === 0) return [];
  const found = await db
    .select({
      id: organizations.id,
      name: owners.name,
      label: organizations.label,
      contactName: organizations.contactName,
      email: organizations.email,
      url: organizations.url,
      type: organizations.type,
      createdAt: organizations.createdAt,
    })
    .from(organizations)
    .innerJoin(owners, eq(owners.id, organizations.id))
    .where(and(inArray(organizations.id, valid), isNull(owners.deletedAt)));
  return found.map((row) => ({ kind: 'ORGANIZATION', ...row }));
}

export type MemberRole = 'OWNER' | 'MEMBER';

/** The user's role in the organization, or null when not a member. */
export async function roleIn(db: Db, organizationId: string, userId: string | null): Promise<MemberRole | null> {
  if (userId === null) return null;
  const [membership] = await db
    .select({ role: organizationMembers.role })
    .from(organizationMembers)
    .where(and(eq(organizationMembers.organizationId, organizationId), eq(organizationMembers.userId, userId)));
  return membership?.role ?? null;
}

/** Which of `organizationIds` the user is an OWNER of. */
export async function ownedOrganizations(db: Db, userId: string, organizationIds: readonly string[]): Promise<string[]> {
  const valid = organizationIds.filter(isUuid);
  if (valid.length === 0) return [];
  const found = await db
    .select({ id: organizationMembers.organizationId })
    .from(organizationMembers)
    .where(
      and(
        eq(organizationMembers.userId, userId),
        eq(organizationMembers.role, 'OWNER'),
        inArray(organizationMembers.organizationId, valid),
      ),
    );
  return found.map((row) => row.id);
}

/** SQL for the ids of the organizations the user belongs to (any role). */
export function organizationsOf(db: Db, userId: string) {
  return db
    .select({ id: organizationMembers.organizationId })
    .from(organizationMembers)
    .where(eq(organizationMembers.userId, userId));
}
