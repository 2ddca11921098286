/**
 * Organizations: groups of users that own algorithms and keys under their own name. Names share the
 * owner namespace with usernames. Every organization has at least one OWNER, always.
 */
import { randomUUID } from 'node:crypto';
import { and, count, eq, ilike, inArray, isNull, lte, or, sql, type Placeholder, type SQL } from 'drizzle-orm';
import { z } from 'zod';
import { changingOwner, type KeyCache } from '../../auth/key-cache.js';
import type { Actor, Principal } from '../../auth/principal.js';
import { ServiceError, userError, type UserErrorData } from '../../core/errors.js';
import { changesBetween, emailSchema, optionalText, parse } from '../../core/validation.js';
import { isUuid } from '../../core/ids.js';
import { ownerNameSchema, quoted } from '../../core/names.js';
import { assemblePage, keysetPage, pageQuery, planPage, type Page, type PageArgs } from '../../core/pagination.js';
import type { Db } from '../../db/connect.js';
import { violatedUniqueConstraint } from '../../db/errors.js';
import { memberRole, organizationMembers, organizations, organizationType, owners, users } from '../../db/schema.js';
import { organizationProfileColumns, type MemberRole, type MembershipRecord, type OrganizationRecord } from '../../db/records.js';
import { recordAudit } from '../audit/service.js';
import { retireOwner } from '../owners/service.js';



// ---------------------------------------------------------------------------------------------
// Reading


const organizationColumns = { id: organizations.id, name: owners.name, ...organizationProfileColumns };

function selectOrganizations(db: Db) {
  return db.select(organizationColumns).from(organizations).innerJoin(owners, eq(owners.id, organizations.id)).$dynamic();
}

const live = isNull(owners.deletedAt);
const asRecord = (row: Omit<OrganizationRecord, 'kind'>): OrganizationRecord => ({ kind: 'ORGANIZATION', ...row });

export async function findOrganizationsByIds(db: Db, ids: readonly string[]): Promise<OrganizationRecord[]> {
  const valid = ids.filter(isUuid);
  if (valid.length === 0) return [];
  return (await selectOrganizations(db).where(and(inArray(organizations.id, valid), live))).map(asRecord);
}

export async function findOrganizationByName(db: Db, name: string): Promise<OrganizationRecord | null> {
  const [found] = await selectOrganizations(db).where(and(eq(sql`lower(${owners.name})`, name.toLowerCase()), live));
  return found ? asRecord(found) : null;
}

/** Every live organization, oldest first; `query` matches name or label, case-insensitively. */
export async function listOrganizations(db: Db, args: PageArgs & { query?: string | null }): Promise<Page<OrganizationRecord>> {
  const pattern = args.query ? `%${escapeLike(args.query)}%` : undefined;
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

/** `%` and `_` in a search are literal characters, not wildcards. */
export function escapeLike(text: string): string {
  return text.replace(/[\\%_]/g, (c) => `\\${c}`);
}

/**
 * Admins, the organization's own keys and its members see its contacts and members. The caller's
 * memberships are read only when the key alone does not decide.
 */
export async function seesInside(
  principal: Principal,
  organizationId: string,
  callerMemberships: () => Promise<readonly MembershipRecord[]>,
): Promise<boolean> {
  if (principal.keyKind === 'ADMIN' || principal.ownerId === organizationId) return true;
  return (await callerMemberships()).some((m) => m.organizationId === organizationId);
}

/** The user's role in the organization, or null when not a member. */
export async function roleIn(db: Db, organizationId: string, userId: string | null): Promise<MemberRole | null> {
  if (userId === null || !isUuid(organizationId)) return null;
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

/** A subquery for the ids of the organizations the user belongs to (any role); the user a value or a placeholder. */
export function organizationsOf(userId: string | Placeholder): SQL {
  return sql`select ${organizationMembers.organizationId} from ${organizationMembers} where ${eq(organizationMembers.userId, userId)}`;
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
    .select({
      organizationId: organizationMembers.organizationId,
      userId: organizationMembers.userId,
      role: organizationMembers.role,
      createdAt: organizationMembers.createdAt,
    })
    .from(organizationMembers)
    .innerJoin(owners, eq(owners.id, organizationMembers.organizationId))
    .where(and(inArray(organizationMembers.userId, valid), live))
    .orderBy(organizationMembers.createdAt);
}

// ---------------------------------------------------------------------------------------------
// Changes (admin plane)

const urlSchema = z
  .string()
  .trim()
  .max(2000, 'must be at most 2000 characters')
  .refine((value) => /^https?:\/\/[^\s]+$/i.test(value) && URL.canParse(value), 'must be an http:// or https:// URL');

const organizationFields = {
  label: z.string().trim().min(1, 'is required').max(100, 'must be at most 100 characters'),
  contactName: optionalText(200),
  email: emailSchema.nullish(),
  url: urlSchema.nullish(),
  type: z.enum(organizationType.enumValues).nullish(),
};

export const createOrganizationSchema = z.object({
  name: ownerNameSchema,
  ...organizationFields,
  owners: z.array(z.string()).min(1, 'must name at least one owner (a username)').max(100, 'must name at most 100 owners'),
});

export const updateOrganizationSchema = z.object({
  organization: z.string(),
  ...organizationFields,
  label: organizationFields.label.nullish(),
});

/** Live users by username (case-insensitively); every name that is not one is a NOT_FOUND error. */
async function usersNamed(tx: Db, usernames: readonly string[], field: string): Promise<Map<string, string>> {
  const lowered = usernames.map((name) => name.toLowerCase());
  const found = await tx
    .select({ id: users.id, name: owners.name })
    .from(users)
    .innerJoin(owners, eq(owners.id, users.id))
    .where(and(inArray(sql`lower(${owners.name})`, lowered), live));
  const byName = new Map(found.map((row) => [row.name.toLowerCase(), row.id]));
  const missing: UserErrorData[] = usernames
    .map((name, index) => ({ name, index }))
    .filter(({ name }) => !byName.has(name.toLowerCase()))
    .map(({ name, index }) => ({
      code: 'NOT_FOUND',
      field: usernames.length > 1 || field === 'owners' ? [field, String(index)] : [field],
      message: `${field}${field === 'owners' ? `.${index}` : ''}: no user ${quoted(name)}`,
    }));
  if (missing.length > 0) throw new ServiceError(missing);
  return byName;
}

/** A live organization by name, row-locked; NOT_FOUND naming `field` otherwise. */
async function organizationNamed(tx: Db, name: string, field = 'organization'): Promise<OrganizationRecord> {
  const [found] = await selectOrganizations(tx)
    .where(and(eq(sql`lower(${owners.name})`, name.toLowerCase()), live))
    .for('update', { of: organizations });
  if (!found) throw userError('NOT_FOUND', `${field}: no organization ${quoted(name)}`, [field]);
  return asRecord(found);
}

export async function createOrganization(
  db: Db,
  actor: Actor,
  input: z.input<typeof createOrganizationSchema>,
): Promise<{ organization: OrganizationRecord }> {
  const data = parse(createOrganizationSchema, input);
  return db.transaction(async (tx) => {
    const ownerIds = await usersNamed(tx, data.owners, 'owners');
    const id = randomUUID();
    try {
      await tx.insert(owners).values({ id, kind: 'ORGANIZATION', name: data.name });
    } catch (error) {
      if (violatedUniqueConstraint(error) === 'owners_name_ci_key') throw userError('TAKEN', `name: ${quoted(data.name)} is taken`, ['name']);
      throw error;
    }
    await tx.insert(organizations).values({
      id,
      label: data.label,
      contactName: data.contactName,
      email: data.email ?? null,
      url: data.url ?? null,
      type: data.type ?? 'BASIC',
    });
    await tx
      .insert(organizationMembers)
      .values([...new Set(ownerIds.values())].map((userId) => ({ organizationId: id, userId, role: 'OWNER' as const })));
    await recordAudit(tx, actor, 'ORGANIZATION_CREATED', { type: 'ORGANIZATION', id }, {
      name: data.name,
      owners: [...ownerIds.values()],
    });
    const [created] = await selectOrganizations(tx).where(eq(organizations.id, id));
    return { organization: asRecord(created!) };
  });
}

export async function updateOrganization(
  db: Db,
  actor: Actor,
  input: z.input<typeof updateOrganizationSchema>,
  keys: KeyCache,
): Promise<{ organization: OrganizationRecord }> {
  const data = parse(updateOrganizationSchema, input);
  // Cached verifications carry the profile (viewer.owner).
  return changingOwner(keys, () => db.transaction(async (tx) => {
    const current = await organizationNamed(tx, data.organization);
    const next = {
      label: data.label ?? current.label,
      contactName: data.contactName === undefined ? current.contactName : data.contactName,
      email: data.email === undefined ? current.email : data.email,
      url: data.url === undefined ? current.url : data.url,
      type: data.type ?? current.type,
    };
    const changes = changesBetween(current, next);
    if (Object.keys(changes).length === 0) return { organization: current };
    await tx.update(organizations).set(next).where(eq(organizations.id, current.id));
    await recordAudit(tx, actor, 'ORGANIZATION_UPDATED', { type: 'ORGANIZATION', id: current.id }, { changes });
    return { organization: { ...current, ...next } };
  }), (result) => result.organization.id);
}

/**
 * Deletes an organization: its keys are revoked, its memberships and private algorithms removed,
 * its name kept so it is never reissued. Refused while it has an algorithm with a PUBLIC version.
 */
export async function deleteOrganization(
  db: Db,
  actor: Actor,
  input: { organization: string },
  keys: KeyCache,
): Promise<{ deletedOrganizationId: string }> {
  return changingOwner(keys, () => db.transaction(async (tx) => {
    const organization = await organizationNamed(tx, input.organization);
    await retireOwner(tx, organization.id, 'organization');
    await tx.delete(organizationMembers).where(eq(organizationMembers.organizationId, organization.id));
    await recordAudit(tx, actor, 'ORGANIZATION_DELETED', { type: 'ORGANIZATION', id: organization.id }, { name: organization.name });
    return { deletedOrganizationId: organization.id };
  }), (result) => result.deletedOrganizationId);
}

const roleSchema = z.enum(memberRole.enumValues);

export async function addOrganizationMember(
  db: Db,
  actor: Actor,
  input: { organization: string; username: string; role: MemberRole },
): Promise<{ organization: OrganizationRecord; membership: MembershipRecord }> {
  const role = parse(roleSchema, input.role);
  return db.transaction(async (tx) => {
    const organization = await organizationNamed(tx, input.organization);
    const userId = (await usersNamed(tx, [input.username], 'username')).get(input.username.toLowerCase())!;
    if (await roleIn(tx, organization.id, userId)) {
      throw userError('CONFLICT', `username: ${quoted(input.username)} is already a member (use setOrganizationMemberRole)`, ['username']);
    }
    const [membership] = await tx.insert(organizationMembers).values({ organizationId: organization.id, userId, role }).returning();
    await recordAudit(tx, actor, 'ORGANIZATION_MEMBER_ADDED', { type: 'ORGANIZATION', id: organization.id }, { userId, role });
    return { organization, membership: membership! };
  });
}

/** The organization's owners, row-locked so two changes cannot both remove "the other" owner. */
async function lockedOwnerIds(tx: Db, organizationId: string): Promise<string[]> {
  const found = await tx
    .select({ userId: organizationMembers.userId })
    .from(organizationMembers)
    .where(and(eq(organizationMembers.organizationId, organizationId), eq(organizationMembers.role, 'OWNER')))
    .for('update');
  return found.map((row) => row.userId);
}

async function memberOf(tx: Db, organization: OrganizationRecord, username: string): Promise<{ userId: string; role: MemberRole }> {
  const userId = (await usersNamed(tx, [username], 'username')).get(username.toLowerCase())!;
  const role = await roleIn(tx, organization.id, userId);
  if (!role) throw userError('NOT_FOUND', `username: ${quoted(username)} is not a member of ${organization.name}`, ['username']);
  return { userId, role };
}

function refuseLastOwner(ownerIds: string[], userId: string, organization: OrganizationRecord): void {
  if (ownerIds.length === 1 && ownerIds[0] === userId) {
    throw userError('CONFLICT', `username: is the last owner of ${organization.name}; make another member an owner first`, ['username']);
  }
}

export async function removeOrganizationMember(
  db: Db,
  actor: Actor,
  input: { organization: string; username: string },
): Promise<{ organization: OrganizationRecord }> {
  return db.transaction(async (tx) => {
    const organization = await organizationNamed(tx, input.organization);
    const { userId, role } = await memberOf(tx, organization, input.username);
    if (role === 'OWNER') refuseLastOwner(await lockedOwnerIds(tx, organization.id), userId, organization);
    await tx
      .delete(organizationMembers)
      .where(and(eq(organizationMembers.organizationId, organization.id), eq(organizationMembers.userId, userId)));
    await recordAudit(tx, actor, 'ORGANIZATION_MEMBER_REMOVED', { type: 'ORGANIZATION', id: organization.id }, { userId, role });
    return { organization };
  });
}

export async function setOrganizationMemberRole(
  db: Db,
  actor: Actor,
  input: { organization: string; username: string; role: MemberRole },
): Promise<{ organization: OrganizationRecord; membership: MembershipRecord }> {
  const role = parse(roleSchema, input.role);
  return db.transaction(async (tx) => {
    const organization = await organizationNamed(tx, input.organization);
    const member = await memberOf(tx, organization, input.username);
    if (member.role === 'OWNER' && role === 'MEMBER') refuseLastOwner(await lockedOwnerIds(tx, organization.id), member.userId, organization);
    const [membership] = await tx
      .update(organizationMembers)
      .set({ role })
      .where(and(eq(organizationMembers.organizationId, organization.id), eq(organizationMembers.userId, member.userId)))
      .returning();
    if (member.role !== role) {
      await recordAudit(tx, actor, 'ORGANIZATION_MEMBER_ROLE_CHANGED', { type: 'ORGANIZATION', id: organization.id }, {
        userId: member.userId,
        changes: { role: { from: member.role, to: role } },
      });
    }
    return { organization, membership: membership! };
  });
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
