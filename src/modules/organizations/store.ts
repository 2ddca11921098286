/** Organizations' rows: their own columns in `organizations`, their names in the shared `owners` namespace, and memberships. */
import { and, count, eq, ilike, inArray, isNull, lte, or, sql } from 'drizzle-orm';
import type { Db } from '../../db/connect.js';
import { violatedUniqueConstraint } from '../../db/errors.js';
import { containing } from '../../db/like.js';
import { organizationProfileColumns, type MemberRole, type MembershipRecord, type OrganizationRecord } from '../../db/records.js';
import { organizationMembers, organizations, owners, users } from '../../db/schema.js';
import { isUuid } from '../../core/ids.js';
import { assemblePage, planPage, type Page, type PageArgs } from '../../core/pagination.js';
import { keysetPage, pageQuery } from '../../db/keyset.js';

const organizationColumns = { id: organizations.id, name: owners.name, ...organizationProfileColumns };

function selectOrganizations(db: Db) {
  return db.select(organizationColumns).from(organizations).innerJoin(owners, eq(owners.id, organizations.id)).$dynamic();
}

const live = isNull(owners.deletedAt);
const named = (name: string) => eq(sql`lower(${owners.name})`, name.toLowerCase());
const asRecord = (row: Omit<OrganizationRecord, 'kind'>): OrganizationRecord => ({ kind: 'ORGANIZATION', ...row });

export async function findOrganizationsByIds(db: Db, ids: readonly string[]): Promise<OrganizationRecord[]> {
  const valid = ids.filter(isUuid);
  if (valid.length === 0) return [];
  return (await selectOrganizations(db).where(and(inArray(organizations.id, valid), live))).map(asRecord);
}

export async function findOrganizationByName(db: Db, name: string): Promise<OrganizationRecord | null> {
  const [found] = await selectOrganizations(db).where(and(named(name), live));
  return found ? asRecord(found) : null;
}

/** A live organization by name, row-locked for a change. */
export async function lockOrganizationNamed(tx: Db, name: string): Promise<OrganizationRecord | null> {
  const [found] = await selectOrganizations(tx).where(and(named(name), live)).for('update', { of: organizations });
  return found ? asRecord(found) : null;
}

export async function findOrganizationById(tx: Db, id: string): Promise<OrganizationRecord | null> {
  const [found] = await selectOrganizations(tx).where(eq(organizations.id, id));
  return found ? asRecord(found) : null;
}

/** Every live organization, oldest first; `query` matches name or label, case-insensitively. */
export async function listOrganizations(db: Db, args: PageArgs & { query?: string | null }): Promise<Page<OrganizationRecord>> {
  const pattern = args.query ? containing(args.query) : undefined;
  const filter = and(live, pattern ? or(ilike(owners.name, pattern), ilike(organizations.label, pattern)) : undefined);
  return keysetPage(
    args,
    organizations,
    async (page) =>
      (
        await selectOrganizations(db)
          .where(and(filter, page.where))
          .orderBy(...page.orderBy)
          .limit(page.limit)
      ).map(asRecord),
    async () =>
      (await db.select({ n: count() }).from(organizations).innerJoin(owners, eq(owners.id, organizations.id)).where(filter))[0]?.n ?? 0,
  );
}

/** What a unique index refused, when a write raced another. */
export type Taken = 'name';

/** An organization's own columns but its id; the name lives in `owners`. */
export type OrganizationProfile = Omit<typeof organizations.$inferInsert, 'id' | 'createdAt'>;

/** Inserts the organization's owner and organization rows; 'name' when a unique index refused the name. */
export async function insertOrganization(tx: Db, id: string, name: string, profile: OrganizationProfile): Promise<Taken | undefined> {
  try {
    await tx.insert(owners).values({ id, kind: 'ORGANIZATION', name });
  } catch (error) {
    if (violatedUniqueConstraint(error) === 'owners_name_ci_key') return 'name';
    throw error;
  }
  await tx.insert(organizations).values({ id, ...profile });
  return undefined;
}

export async function updateOrganizationProfile(tx: Db, id: string, profile: OrganizationProfile): Promise<void> {
  await tx.update(organizations).set(profile).where(eq(organizations.id, id));
}

/** Live users' ids by username, keyed by the lower-cased username; names that are no live user are absent. */
export async function userIdsNamed(tx: Db, usernames: readonly string[]): Promise<Map<string, string>> {
  const lowered = usernames.map((name) => name.toLowerCase());
  const found = await tx
    .select({ id: users.id, name: owners.name })
    .from(users)
    .innerJoin(owners, eq(owners.id, users.id))
    .where(and(inArray(sql`lower(${owners.name})`, lowered), live));
  return new Map(found.map((row) => [row.name.toLowerCase(), row.id]));
}

/** The user's role in the organization, or null when not a member (or the id is malformed). */
export async function roleOf(db: Db, organizationId: string, userId: string): Promise<MemberRole | null> {
  if (!isUuid(organizationId)) return null;
  const [membership] = await db
    .select({ role: organizationMembers.role })
    .from(organizationMembers)
    .where(and(eq(organizationMembers.organizationId, organizationId), eq(organizationMembers.userId, userId)));
  return membership?.role ?? null;
}

/** What a membership record reads. */
const membershipColumns = {
  organizationId: organizationMembers.organizationId,
  userId: organizationMembers.userId,
  role: organizationMembers.role,
  createdAt: organizationMembers.createdAt,
};

/** The user's membership of the organization, or null when not a member. */
export async function findMembership(db: Db, organizationId: string, userId: string): Promise<MembershipRecord | null> {
  const [membership] = await db
    .select(membershipColumns)
    .from(organizationMembers)
    .where(and(eq(organizationMembers.organizationId, organizationId), eq(organizationMembers.userId, userId)));
  return membership ?? null;
}

/** The live owners' user ids of each organization, oldest membership first, in one statement. */
export async function ownerIdsOf(db: Db, organizationIds: readonly string[]): Promise<Map<string, string[]>> {
  const valid = organizationIds.filter(isUuid);
  const byOrganization = new Map<string, string[]>(organizationIds.map((id) => [id, []]));
  if (valid.length === 0) return byOrganization;
  const found = await db
    .select({ organizationId: organizationMembers.organizationId, userId: organizationMembers.userId })
    .from(organizationMembers)
    .innerJoin(owners, eq(owners.id, organizationMembers.userId))
    .where(and(inArray(organizationMembers.organizationId, valid), eq(organizationMembers.role, 'OWNER'), live))
    .orderBy(organizationMembers.createdAt, organizationMembers.userId);
  for (const row of found) byOrganization.get(row.organizationId)?.push(row.userId);
  return byOrganization;
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

/** The organization's owners, row-locked for the caller's transaction. */
export async function lockOwnerIds(tx: Db, organizationId: string): Promise<string[]> {
  const found = await tx
    .select({ userId: organizationMembers.userId })
    .from(organizationMembers)
    .where(and(eq(organizationMembers.organizationId, organizationId), eq(organizationMembers.role, 'OWNER')))
    .for('update');
  return found.map((row) => row.userId);
}

/** Organizations where the user is the only owner (deleting the user would orphan them). */
export async function organizationsOnlyOwnedBy(tx: Db, userId: string): Promise<string[]> {
  const found = await tx
    .select({ name: owners.name })
    .from(organizationMembers)
    .innerJoin(owners, eq(owners.id, organizationMembers.organizationId))
    .where(
      and(
        eq(organizationMembers.userId, userId),
        eq(organizationMembers.role, 'OWNER'),
        live,
        sql`not exists (select 1 from ${organizationMembers} other
              where other.organization_id = ${organizationMembers.organizationId}
                and other.role = 'OWNER' and other.user_id <> ${userId})`,
      ),
    );
  return found.map((row) => row.name);
}

const memberKeyset = { createdAt: organizationMembers.createdAt, id: organizationMembers.userId };

/**
 * A page of live members (oldest membership first) for each organization, in one statement: a window
 * function numbers each organization's members, so the page size bounds the rows per organization.
 */
export async function memberPages(
  db: Db,
  organizationIds: readonly string[],
  args: PageArgs,
): Promise<Map<string, Page<MembershipRecord & { id: string }>>> {
  const m = organizationMembers;
  const plan = planPage(args);
  const query = pageQuery(plan, memberKeyset);
  const valid = organizationIds.filter(isUuid);
  const byOrganization = new Map<string, (MembershipRecord & { id: string })[]>();
  if (valid.length > 0) {
    const ranked = db
      .select({
        organizationId: m.organizationId,
        userId: m.userId,
        role: m.role,
        createdAt: m.createdAt,
        rank: sql<number>`row_number() over (partition by ${m.organizationId} order by ${sql.join(query.orderBy, sql`, `)})`.as('rank'),
      })
      .from(m)
      .innerJoin(owners, eq(owners.id, m.userId))
      .where(and(inArray(m.organizationId, valid), live, query.where))
      .as('ranked');
    const rows = await db
      .select({ organizationId: ranked.organizationId, userId: ranked.userId, role: ranked.role, createdAt: ranked.createdAt })
      .from(ranked)
      .where(lte(ranked.rank, query.limit))
      .orderBy(ranked.rank);
    for (const row of rows) {
      const list = byOrganization.get(row.organizationId) ?? [];
      list.push({ ...row, id: row.userId });
      byOrganization.set(row.organizationId, list);
    }
  }
  let totals: Promise<Map<string, number>> | undefined;
  const countAll = () => (totals ??= countMembers(db, valid));
  return new Map(
    organizationIds.map((id) => [id, assemblePage(plan, byOrganization.get(id) ?? [], async () => (await countAll()).get(id) ?? 0)]),
  );
}

/** Live members per organization, in one statement. */
async function countMembers(db: Db, organizationIds: string[]): Promise<Map<string, number>> {
  if (organizationIds.length === 0) return new Map();
  const counted = await db
    .select({ organizationId: organizationMembers.organizationId, n: count() })
    .from(organizationMembers)
    .innerJoin(owners, eq(owners.id, organizationMembers.userId))
    .where(and(inArray(organizationMembers.organizationId, organizationIds), live))
    .groupBy(organizationMembers.organizationId);
  return new Map(counted.map((row) => [row.organizationId, row.n]));
}

/** The organizations a user belongs to, with the role in each. */
export async function membershipsOf(db: Db, userIds: readonly string[]): Promise<MembershipRecord[]> {
  const valid = userIds.filter(isUuid);
  if (valid.length === 0) return [];
  return db
    .select(membershipColumns)
    .from(organizationMembers)
    .innerJoin(owners, eq(owners.id, organizationMembers.organizationId))
    .where(and(inArray(organizationMembers.userId, valid), live))
    .orderBy(organizationMembers.createdAt);
}

export async function insertMemberships(tx: Db, organizationId: string, userIds: readonly string[], role: MemberRole): Promise<void> {
  await tx.insert(organizationMembers).values(userIds.map((userId) => ({ organizationId, userId, role })));
}

export async function insertMembership(tx: Db, organizationId: string, userId: string, role: MemberRole): Promise<MembershipRecord> {
  const [membership] = await tx.insert(organizationMembers).values({ organizationId, userId, role }).returning();
  return membership!;
}

export async function setMemberRole(tx: Db, organizationId: string, userId: string, role: MemberRole): Promise<MembershipRecord> {
  const [membership] = await tx
    .update(organizationMembers)
    .set({ role })
    .where(and(eq(organizationMembers.organizationId, organizationId), eq(organizationMembers.userId, userId)))
    .returning();
  return membership!;
}

export async function deleteMembership(tx: Db, organizationId: string, userId: string): Promise<void> {
  await tx.delete(organizationMembers).where(and(eq(organizationMembers.organizationId, organizationId), eq(organizationMembers.userId, userId)));
}

export async function deleteMembershipsIn(tx: Db, organizationId: string): Promise<void> {
  await tx.delete(organizationMembers).where(eq(organizationMembers.organizationId, organizationId));
}
